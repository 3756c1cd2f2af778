"""Where the service keeps its data and what limits it applies; every value can come from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def default_data_dir() -> Path:
    """$PREREVIEW_DATA_DIR, else $XDG_DATA_HOME/prereview, else ~/.local/share/prereview."""
    if os.environ.get("PREREVIEW_DATA_DIR"):
        return Path(os.environ["PREREVIEW_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "prereview"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str = ""           # empty: SQLite in data_dir/prereview.sqlite3
    workers: int = 2                 # review worker processes (durable-rules runs only there)
    review_timeout: float = 30.0     # seconds one review may take in a worker
    body_limit: int = 1024 * 1024    # bytes of a request body
    rules_dir: str | None = None     # None: the rules installed with the program
    packs: tuple[str, ...] | None = None
    test_faults: str | None = None   # tests only: a folder that arms the worker's fault hooks

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = dict(
            data_dir=default_data_dir(),
            database_url=os.environ.get("PREREVIEW_DATABASE_URL", ""),
            workers=_int("PREREVIEW_WORKERS", 2),
            review_timeout=_float("PREREVIEW_REVIEW_TIMEOUT", 30.0),
            body_limit=_int("PREREVIEW_BODY_LIMIT", 1024 * 1024),
            rules_dir=os.environ.get("PREREVIEW_RULES") or None,
            test_faults=os.environ.get("PREREVIEW_TEST_FAULTS") or None,
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.data_dir) / 'prereview.sqlite3'}"
