"""Signed things the browser carries: the session cookie, the CSRF token, the sign-in link.

All three are signed with the deployment's secret key by ``itsdangerous`` (each with its own
salt, so a token of one kind is never accepted as another). The session cookie holds only who
signed in (tenant, email, role); every request reloads that login from the store, so a login
removed or changed takes effect at once. Passwords are hashed with Argon2 through ``pwdlib``
(the maintained successor of passlib). ADR 0061.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pwdlib import PasswordHash

from refundable.config import Settings
from refundable.core.errors import ConfigurationError

SESSION_COOKIE = "refundable_session"
CSRF_COOKIE = "refundable_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
STAFF_SESSION_S = 8 * 3600  # a working day
CUSTOMER_SESSION_S = 3600
LINK_MAX_AGE_S = 15 * 60  # a sign-in link is good for 15 minutes, once
MIN_SECRET_LENGTH = 32


def secret_key(settings: Settings) -> str:
    """REFUNDABLE_SECRET_KEY, else a random key kept in the data directory (created once,
    readable by its owner only), so sessions survive a restart of the embedded server."""
    if settings.secret_key:
        if len(settings.secret_key) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                "the secret key is too short to sign sessions",
                where="REFUNDABLE_SECRET_KEY",
                allowed=f"at least {MIN_SECRET_LENGTH} random characters",
            )
        return settings.secret_key
    path = settings.resolved_data_dir / "secret.key"
    if not path.exists():
        _write_private(path, secrets.token_urlsafe(48))
    return path.read_text().strip()


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: use theirs
        return
    with os.fdopen(fd, "w") as f:
        f.write(text)


@dataclass(frozen=True, slots=True)
class SessionData:
    tenant_id: str
    email: str
    role: str


@dataclass(frozen=True, slots=True)
class LinkData:
    tenant_id: str
    email: str
    link_id: str


class Signer:
    """The three signed token kinds of one deployment."""

    def __init__(self, secret: str) -> None:
        self._session = URLSafeTimedSerializer(secret, salt="refundable.session")
        self._csrf = URLSafeTimedSerializer(secret, salt="refundable.csrf")
        self._link = URLSafeTimedSerializer(secret, salt="refundable.sign-in-link")

    def session(self, data: SessionData) -> str:
        return self._session.dumps([data.tenant_id, data.email, data.role])

    def read_session(self, token: str | None, max_age_s: int) -> SessionData | None:
        value = _loads(self._session, token, max_age_s)
        if not (isinstance(value, list) and len(value) == 3):
            return None
        return SessionData(*(str(v) for v in value))

    def new_csrf(self) -> str:
        return self._csrf.dumps(secrets.token_urlsafe(32))

    def csrf_ok(self, cookie: str | None, submitted: str | None) -> bool:
        """Double submit: the form (or htmx header) carries the same signed token as the
        cookie, which a page on another site can neither read nor forge."""
        if not cookie or not submitted or _loads(self._csrf, cookie, None) is None:
            return False
        return hmac.compare_digest(cookie.encode(), submitted.encode())

    def link(self, tenant_id: str, email: str) -> str:
        return self._link.dumps([tenant_id, email, secrets.token_urlsafe(24)[:32]])

    def read_link(self, token: str | None) -> LinkData | None:
        value = _loads(self._link, token, LINK_MAX_AGE_S)
        if not (isinstance(value, list) and len(value) == 3):
            return None
        return LinkData(*(str(v) for v in value))


def _loads(s: URLSafeTimedSerializer, token: str | None, max_age_s: int | None) -> object:
    if not token or len(token) > 4096:
        return None
    try:
        return s.loads(token, max_age=max_age_s)
    except (SignatureExpired, BadSignature):
        return None


_HASHER = PasswordHash.recommended()  # Argon2id with the library's current parameters


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Constant work whether or not the login exists: a missing login is checked against a
    dummy hash, so the response time does not tell which emails have logins."""
    if hashed is None:
        _HASHER.verify(password, _DUMMY[0] or _dummy())
        return False
    try:
        return _HASHER.verify(password, hashed)
    except Exception:  # a corrupt stored hash signs nobody in
        return False


_DUMMY: list[str] = [""]


def _dummy() -> str:
    _DUMMY[0] = _HASHER.hash(secrets.token_urlsafe(16))
    return _DUMMY[0]
