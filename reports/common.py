"""Small helpers every output format shares: citations, counts, how a path is shown."""
from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from prereview.engine.review import Review
from prereview.engine.rulebook import SEVERITIES


def bytecode_cache():
    """Compiled templates kept beside the rulebook cache (engine/rulecache.py's folder): compiling the
    `check` text templates is most of what a one-file text check spends in Jinja. None without a folder
    that can be written (Jinja would fail the render, not only the cache)."""
    from jinja2 import FileSystemBytecodeCache

    from prereview.engine.rulecache import folder

    where = folder()
    if where is None:
        return None
    where = where / "templates"
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(where)) if os.access(where, os.W_OK) else None


def cite(basis: dict) -> str:
    """重大行政决策程序暂行条例（国务院令第713号）第二十五条第一款"""
    if not basis.get("number"):
        return f"{basis['source']}{basis['article']}"
    return f"{basis['source']}（{basis['number']}）{basis['article']}"


def cite_in_force(basis: dict) -> str:
    """The citation with its period in force: …，2019-09-01 起施行[，… 失效]"""
    period = basis.get("in_force") or {}
    text = cite(basis)
    if period.get("from"):
        text += f"，{period['from']} 起施行"
    if period.get("until"):
        text += f"，{period['until']} 失效"
    return text


def counts(review: Review) -> dict[str, int]:
    return {s: sum(1 for f in review.findings if f.severity == s) for s in SEVERITIES}


def display_path(path: str) -> str:
    """The path as a user sees it: relative to the current directory when possible, '/'-separated."""
    text = str(path).replace("\\", "/")
    p = Path(text)
    if p.is_absolute():
        try:
            text = p.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except (ValueError, OSError):
            return text
    else:
        text = PurePosixPath(text).as_posix()
    return text.removeprefix("./")
