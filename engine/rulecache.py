"""A cache of loaded rulebooks, so that `check ONE` does not parse and validate some 230 rule files at every
start (two thirds of its time without one).

An entry is keyed by everything the loader reads — each pack folder's YAML files (path, size, modification
time), the catalogues, the options — and by the engine's own code, so an edited rule or a new prereview is a
miss. A miss, a damaged entry or a folder that cannot be written just loads the rules as before. The folder
is $PREREVIEW_CACHE_DIR (`off`: no cache), else $XDG_CACHE_HOME/prereview, else ~/.cache/prereview; it keeps
the few newest entries.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

KEEP = 8  # entries kept: one per rules folder and option set in use, a few spare
_PREFIX = "rulebook-"


def folder() -> Path | None:
    chosen = os.environ.get("PREREVIEW_CACHE_DIR")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "prereview"


def _stat(h, path: Path) -> None:
    try:
        st = path.stat()
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode())
    except OSError:
        h.update(f"{path}\0missing\n".encode())


def _code_digest() -> str:
    import pydantic

    import prereview
    from prereview.durable import __version__ as durable

    h = hashlib.sha256(f"{sys.version}\0{prereview.__version__}\0{durable}\0{pydantic.VERSION}\n".encode())
    engine = Path(__file__).parent
    for path in sorted(engine.glob("**/*.py")):
        h.update(path.relative_to(engine).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def key(rules_dir: Path, packs, extra: tuple, replace: bool) -> str:
    """What the loader would read, by path and stat, with the options and the engine's code."""
    from .rulebook import _pack_files

    h = hashlib.sha256(repr((str(rules_dir), sorted(packs or ()), [str(f) for f in extra], replace)).encode())
    if not all(Path(p).is_absolute() for p in (rules_dir, *extra)):
        h.update(os.getcwd().encode())  # relative paths are kept in the rules (and in what they report)
    h.update(_code_digest().encode())
    for root in (Path(rules_dir), *map(Path, extra)):
        _stat(h, root / "catalogue.yaml")
        for pack_file in _pack_files(root) if root.is_dir() else ():
            for path in sorted(pack_file.parent.glob("*.yaml")):
                _stat(h, path)
    return h.hexdigest()


def get(entry_key: str):
    """The cached rulebook, or None."""
    where = folder()
    if where is None:
        return None
    path = where / f"{_PREFIX}{entry_key}.pickle"
    try:
        with open(path, "rb") as f:
            book = pickle.load(f)
        os.utime(path)  # newest kept longest
    except OSError:  # none yet, or a folder that cannot be read
        return None
    except Exception:  # a damaged or foreign entry: drop it and load the rules
        try:
            path.unlink()
        except OSError:
            pass
        return None
    from .rulebook import Rulebook
    return book if isinstance(book, Rulebook) else None


def put(entry_key: str, book) -> None:
    """Store the rulebook (atomically: a reader sees a whole entry or none) and drop the oldest entries."""
    where = folder()
    if where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(book, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, where / f"{_PREFIX}{entry_key}.pickle")
        except BaseException:
            os.unlink(tmp)
            raise
        entries = sorted(where.glob(f"{_PREFIX}*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only home or a full disk: the next start loads the rules again
