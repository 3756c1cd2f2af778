"""The web pages' session: a signed cookie that names the token signed in with, and the CSRF token of its forms.

The cookie holds no secret: {"t": token id, "n": nonce, "at": time} signed with HMAC-SHA256. Each request looks
the token up again, so a revoked token ends its sessions at once; a session lasts a working day at most. The CSRF
token of every POST form is HMAC(key, nonce): a page of another site can neither read it nor guess it, and a new
nonce at sign-in means a nonce planted before it is worth nothing afterwards.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

COOKIE = "prereview_session"
LIFETIME = 10 * 3600  # seconds: one working day


def session_key(data_dir: Path) -> bytes:
    """$PREREVIEW_SESSION_KEY, else a random key kept in the data folder (made once, readable by the owner only),
    so every process of the service and a restart accept the same cookies."""
    env = os.environ.get("PREREVIEW_SESSION_KEY")
    if env:
        return env.encode("utf-8")
    path = Path(data_dir) / "web-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
    return path.read_bytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    token_id: str | None
    nonce: str
    at: int

    def csrf(self, key: bytes) -> str:
        return hmac.new(key, b"csrf|" + self.nonce.encode("ascii"), hashlib.sha256).hexdigest()


def new_session(token_id: str | None = None) -> Session:
    return Session(token_id, secrets.token_urlsafe(18), int(time.time()))


def dump(session: Session, key: bytes) -> str:
    payload = _b64(json.dumps({"t": session.token_id, "n": session.nonce, "at": session.at},
                              separators=(",", ":")).encode("utf-8"))
    return payload + "." + _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def load(cookie: str | None, key: bytes) -> Session | None:
    """The session of a cookie, or None when it is missing, forged, malformed or expired."""
    if not cookie or "." not in cookie or len(cookie) > 1000:
        return None
    payload, _, signature = cookie.partition(".")
    try:
        expected = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            return None
        data = json.loads(_unb64(payload))
        session = Session(data["t"], str(data["n"]), int(data["at"]))
    except (ValueError, KeyError, TypeError, UnicodeError):
        return None
    if not 0 <= time.time() - session.at <= LIFETIME:
        return None
    return session


def csrf_ok(session: Session | None, given: object, key: bytes) -> bool:
    return (session is not None and isinstance(given, str)
            and hmac.compare_digest(session.csrf(key).encode(), given.encode("utf-8", "replace")))
