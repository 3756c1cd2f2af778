"""What `pip install .` (not -e) puts in the wheel: every package folder and every data file the code reads.

An editable install reads the source tree, so a folder missing from pyproject.toml's `packages` or a file
outside its `package-data` globs only fails for a user who installs a wheel (as engine/kinds once did).
"""
from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from helpers import ROOT

CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
DIRS = CONFIG["package-dir"]


def _folder(package: str) -> Path:
    """The source folder of a package, by the longest package-dir mapping that covers it."""
    best = max((name for name in DIRS if package == name or package.startswith(name + ".")), key=len)
    rest = package[len(best):].lstrip(".")
    return ROOT / DIRS[best] / Path(*rest.split(".")) if rest else ROOT / DIRS[best]


def _glob(pattern: str) -> re.Pattern:
    """setuptools' package-data glob: `**/` is any number of folders (none too), `*` stays in one folder."""
    out = ""
    for part in re.split(r"(\*\*/|\*|\?)", pattern):
        out += {"**/": "(?:.*/)?", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
    return re.compile(out + r"\Z")


def _tracked() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return [ROOT / line for line in out.splitlines()]


def test_every_folder_with_python_modules_is_a_listed_package():
    listed = {_folder(p).resolve() for p in CONFIG["packages"]}
    roots = [(ROOT / d).resolve() for d in DIRS.values()]
    folders = {f.parent.resolve() for f in _tracked() if f.name == "__init__.py"}
    missing = sorted(str(f.relative_to(ROOT)) for f in folders
                     if any(f == r or r in f.parents for r in roots) and f not in listed)
    assert not missing, f"pyproject.toml [tool.setuptools] packages lacks: {missing}"


def test_every_data_file_under_a_package_is_covered_by_package_data():
    data = CONFIG.get("package-data", {})
    packages = sorted(CONFIG["packages"], key=lambda p: -len(str(_folder(p))))
    uncovered = []
    for f in _tracked():
        if f.suffix in (".py", ".pyc", ".so", ".c", ".h") or f.name in ("README.md", "README.prereview.md") or not f.exists():
            continue
        owner = next((p for p in packages if _folder(p).resolve() in f.resolve().parents), None)
        if owner is None or "tests" in f.relative_to(ROOT).parts[:1]:
            continue
        rel = f.resolve().relative_to(_folder(owner).resolve()).as_posix()
        if not any(_glob(g).match(rel) for g in data.get(owner, [])):
            uncovered.append(f"{f.relative_to(ROOT)} (package {owner})")
    assert not uncovered, f"files a wheel would not carry (pyproject.toml package-data): {uncovered}"
