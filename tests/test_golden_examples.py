"""Golden files: `prereview check examples/` in every output format, read by eye once, then fixed.

Regenerate on purpose only: PREREVIEW_UPDATE_GOLDEN=1 pytest tests/test_golden_examples.py
"""
import os
import re

import pytest

from prereview.api.cli import main

from helpers import ROOT

GOLDEN = ROOT / "tests" / "golden" / "examples"
FORMATS = {"text": "txt", "json": "json", "sarif": "sarif", "junit": "junit.xml", "github": "github.txt",
           "markdown": "md"}


def _normalise(text: str) -> str:
    # the rulebook's content hash and the engine version change with every edit; the rest must not
    text = re.sub(r'("sha256": )"[0-9a-f]{64}"', r'\1"<sha256>"', text)
    return re.sub(r'("version": )"\d+\.\d+\.\d+"', r'\1"<version>"', text)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_check_examples_output_matches_its_golden_file(fmt, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    # the dossiers at the top of examples/ (examples/case-files is the 评查 batch, with its own expected summary)
    files = sorted(f"examples/{p.name}" for p in (ROOT / "examples").iterdir()
                   if p.suffix in (".yaml", ".json") and p.name != "expected.yaml")
    code = main(["check", *files, "--format", fmt])
    out = _normalise(capsys.readouterr().out)
    assert code == 1  # the defective examples have findings at or above `major`
    golden = GOLDEN / f"check.{FORMATS[fmt]}"
    if os.environ.get("PREREVIEW_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out, "utf-8")
    assert out == golden.read_text("utf-8")
