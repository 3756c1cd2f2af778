"""Read requirement IDs from the shared legal-basis catalogue (../shared/legal-basis.md)."""
from __future__ import annotations

import re
from pathlib import Path

PREFIXES = ("MAD", "GS", "PEN", "EXE", "BIZ", "NDOC", "LIC", "COE", "DAYCOUNT")


def legal_basis_path() -> Path:
    here = Path(__file__).resolve().parent.parent
    return here.parent / "shared" / "legal-basis.md"


def requirement_entries(text: str) -> list[dict]:
    items, section = [], None
    for line in text.splitlines():
        m = re.match(r"^(#{2,3}) (.*)", line)
        if m:
            section = m.group(2).strip()
            continue
        m = re.match(r"^\*\*([A-Z0-9][A-Z0-9 /-]+)\*\*(?: \([^)]*\))? — (.*)", line)  # "**EXE-PUB-PRE** (事前公开) — …"
        if m:
            ids = [i.strip() for i in m.group(1).split("/")]
            for i in ids:
                if not i.startswith(PREFIXES):  # "MAD-COST-BENEFIT / ALTERNATIVES" style
                    i = ids[0].rsplit("-", 1)[0] + "-" + i
                items.append({"id": i, "section": section, "source": m.group(2).strip()})
            continue
        m = re.match(r"^\| (DAYCOUNT-[A-Z-]+) \| (.*?) \| (.*?) \| (V\d|UNCONFIRMED)", line)
        if m:
            items.append({"id": m.group(1), "section": section, "source": m.group(3).strip()})
    return items
