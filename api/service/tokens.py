"""Bearer tokens: `prv_<id>_<secret>`, shown once; only the secret's sha256 is stored, compared in constant time.

The secret is 32 random bytes, so a plain sha256 is enough (nothing to guess); the id finds the row
without comparing hashes of every token.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Token, now

ROLES = ("submitter", "reviewer", "admin")
PREFIX = "prv_"


@dataclass(frozen=True)
class Principal:
    token_id: str
    name: str
    org: str
    role: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(db: Session, org: str, role: str, name: str = "") -> tuple[Token, str]:
    if role not in ROLES:
        raise ValueError(f"未知的角色 {role!r}（应为 {' / '.join(ROLES)}）")
    if not org.strip():
        raise ValueError("机构（--org）不能为空")
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    row = Token(id=token_id, name=name, org=org, role=role, secret_sha256=_digest(secret), created_at=now())
    db.add(row)
    db.commit()
    return row, f"{PREFIX}{token_id}_{secret}"


def verify(db: Session, bearer: str) -> Principal | None:
    if not bearer.startswith(PREFIX):
        return None
    token_id, sep, secret = bearer[len(PREFIX):].partition("_")
    if not sep or len(token_id) != 16:
        return None
    row = db.get(Token, token_id)
    expected = row.secret_sha256 if row is not None else _digest("")  # compare anyway: same time either way
    if not hmac.compare_digest(expected, _digest(secret)) or row is None or row.revoked_at is not None:
        return None
    return Principal(row.id, row.name, row.org, row.role)


def listing(db: Session) -> list[Token]:
    return list(db.scalars(select(Token).order_by(Token.created_at, Token.id)))


def revoke(db: Session, token_id: str) -> bool:
    row = db.get(Token, token_id)
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = now()
        db.commit()
    return True
