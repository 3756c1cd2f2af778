"""The records: tokens, reviews (dossier bytes as submitted), answer events, access events.

Reviews, answer events and access events are written once and never changed: the code has no UPDATE
or DELETE for them, and on SQLite triggers refuse both. SQLite runs in WAL mode with synchronous=FULL,
so a review whose 201 went out survives a kill -9 (tests/test_service_durability.py).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import (DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        create_engine, event)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class Token(Base):
    __tablename__ = "tokens"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    org: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(16))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ReviewRecord(Base):
    __tablename__ = "reviews"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    org: Mapped[str] = mapped_column(String(200), index=True)
    submitter: Mapped[str] = mapped_column(String(16))       # token id
    submitter_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(40), index=True)
    verdict: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(Text)
    organ: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(Text, default="")    # 承办单位 (sponsor) or, without one, the organ
    dossier: Mapped[bytes] = mapped_column(LargeBinary)
    dossier_sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(300))
    result: Mapped[str] = mapped_column(Text)              # ReviewOut JSON
    applied_rules: Mapped[str] = mapped_column(Text)       # JSON list
    supersedes: Mapped[str | None] = mapped_column(ForeignKey("reviews.id"), nullable=True)
    comparison: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON: fixed / new / remaining
    # the checklist and materials list the review was made with (reference_documents); null: a record from
    # before they were kept (read against the files of the day) or a kind without one
    checklist_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    materials_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


class FindingRow(Base):
    """One finding's rule per review, for statistics by rule."""

    __tablename__ = "review_findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(100), index=True)
    severity: Mapped[str] = mapped_column(String(16))


class AnswerEvent(Base):
    __tablename__ = "answer_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    token_id: Mapped[str] = mapped_column(String(16))
    answers: Mapped[str] = mapped_column(Text)   # JSON as given (validated)


class ReferenceDocument(Base):
    """A checklist or materials list file as it was when a review was made, stored once by content."""

    __tablename__ = "reference_documents"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[bytes] = mapped_column(LargeBinary)


class AccessEvent(Base):
    """Who did what with which review, when; never the dossier's content."""

    __tablename__ = "access_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    token_id: Mapped[str] = mapped_column(String(16))
    org: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    review_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    status: Mapped[int] = mapped_column(Integer)


Index("reviews_org_created", ReviewRecord.org, ReviewRecord.created_at)

def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _durable(conn, _record):
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest version (Alembic migrations in api/service/migrations/versions)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def sessions(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
