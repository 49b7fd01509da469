"""Settings: the only place that reads the environment.

Every knob the product has is one field here, read once from the environment (and overridden by
command-line arguments), then handed to ``bootstrap`` which turns it into wired objects. Nothing
else calls ``os.environ``. Every variable is documented in ``docs/configuration.md``; adding a
field here without a row there fails a test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import Field, dataclass, fields, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

ENV_PREFIX = "REFUNDABLE_"
# Fields whose variable is not simply REFUNDABLE_<FIELD NAME>
ENV_NAMES = {"policies_dir": "REFUNDABLE_POLICIES"}


def env_name(f: Field[Any]) -> str:
    """The environment variable that sets one Settings field."""
    return ENV_NAMES.get(f.name, ENV_PREFIX + f.name.upper())


PYDANTIC_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"  # read by pydantic when a model is built


@contextmanager
def pydantic_plugins_paused() -> Iterator[None]:
    """Build our own pydantic models (policy documents, requests) without pydantic's plugin
    scan, then put the variable back as it was.

    The first model class built in a process makes pydantic import ``importlib.metadata`` and
    read the entry points of every installed distribution, looking for plugins: about 13 ms of
    a cold ``refundable decide`` (docs/benchmarks.md, start-up), for models that are only ever
    used inside this package. Typer does the same around the adapters it builds. Models built
    later in the process (the HTTP service's) still see the user's plugins; a user who set
    the variable keeps their own value afterwards."""
    before = os.environ.get(PYDANTIC_PLUGINS)
    os.environ[PYDANTIC_PLUGINS] = "__all__"
    try:
        yield
    finally:
        if before is None:
            del os.environ[PYDANTIC_PLUGINS]
        else:
            os.environ[PYDANTIC_PLUGINS] = before


def shipped_policies_dir() -> Path:
    """The four shipped policies and their scenarios, as package data."""
    return Path(str(files("refundable") / "policies"))


def shipped_examples_dir() -> Path:
    """The shipped example requests, as package data."""
    return Path(str(files("refundable") / "examples" / "requests"))


def default_data_dir() -> Path:
    """Per-user data directory (XDG on Linux), never inside the installed package."""
    from platformdirs import user_data_path

    return user_data_path("refundable", appauthor=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """What a deployment can configure. ``None`` means "use the documented default"."""

    db_url: str | None = None  # REFUNDABLE_DB_URL; default: SQLite in data_dir
    data_dir: Path | None = None  # REFUNDABLE_DATA_DIR; default: per-user data dir
    policies_dir: Path | None = None  # REFUNDABLE_POLICIES; default: shipped policies
    # --- storage, see docs/postgres-roles.md ---
    # REFUNDABLE_MIGRATE_ON_START: apply migrations when the app starts; default: only on SQLite
    migrate_on_start: bool | None = None
    # REFUNDABLE_MIGRATE_DB_URL: the schema owner's URL for `refundable db upgrade`; default db_url
    migrate_db_url: str | None = None
    # --- notices, see docs/configuration.md (ADR 0055) ---
    smtp_host: str | None = None  # REFUNDABLE_SMTP_HOST; default: localhost
    smtp_port: int | None = None  # REFUNDABLE_SMTP_PORT; default: 25
    mail_from: str | None = None  # REFUNDABLE_MAIL_FROM; default: refunds@localhost
    # --- the service (`refundable serve`, ADR 0060) ---
    host: str | None = None  # REFUNDABLE_HOST; default 127.0.0.1
    port: int | None = None  # REFUNDABLE_PORT; default 8000
    # REFUNDABLE_DEMO: seed the demo tenants, data and published API keys at start; default yes
    demo: bool | None = None
    # REFUNDABLE_JOBS_INTERVAL: seconds between passes of the in-process scheduled-work loop
    jobs_interval: float | None = None
    # REFUNDABLE_GROUP_COMMIT: most API commands one SQLite transaction runs (1: one each)
    group_commit: int | None = None
    # --- payouts (ADR 0056) ---
    payment_gateway: str | None = None  # REFUNDABLE_PAYMENT_GATEWAY: sandbox (default) | stripe
    stripe_api_key: str | None = None  # REFUNDABLE_STRIPE_API_KEY
    stripe_api_base: str | None = None  # REFUNDABLE_STRIPE_API_BASE; default: Stripe's own
    # REFUNDABLE_STRIPE_WEBHOOK_SECRET: verifies Stripe's event callbacks (whsec_...)
    stripe_webhook_secret: str | None = None
    fx_rates: str | None = None  # REFUNDABLE_FX_RATES: "USD/ZAR=18.50, EUR/ZAR=20.10"
    fx_source: str | None = None  # REFUNDABLE_FX_SOURCE: fixed (default: fx_rates) | ecb
    fx_url: str | None = None  # REFUNDABLE_FX_URL: the ECB daily XML (default: the ECB's own)
    # REFUNDABLE_SECRET_KEY: signs console sessions, CSRF tokens and portal sign-in links;
    # default: a random key kept in data_dir/secret.key (ADR 0061)
    secret_key: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(env_name(f))
            if raw:
                values[f.name] = _from_text(f.name, raw)
        base = cls(**values)
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(base, **given) if given else base

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir or default_data_dir()

    @property
    def resolved_db_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.resolved_data_dir / 'refundable.db'}"

    @property
    def resolved_migrate_on_start(self) -> bool:
        """Embedded SQLite migrates itself; a PostgreSQL service is migrated by its owner."""
        if self.migrate_on_start is not None:
            return self.migrate_on_start
        return self.resolved_db_url.startswith("sqlite")

    @property
    def resolved_migrate_db_url(self) -> str:
        return self.migrate_db_url or self.resolved_db_url

    @property
    def resolved_smtp(self) -> tuple[str, int, str]:
        """(host, port, sender) of the mail relay the outbox sends notices through."""
        return (self.smtp_host or "localhost", self.smtp_port or 25,
                self.mail_from or "refunds@localhost")  # fmt: skip

    @property
    def resolved_host(self) -> str:
        return self.host or "127.0.0.1"

    @property
    def resolved_port(self) -> int:
        return 8000 if self.port is None else self.port

    @property
    def resolved_demo(self) -> bool:
        return True if self.demo is None else self.demo

    @property
    def resolved_jobs_interval(self) -> float:
        return 5.0 if self.jobs_interval is None else self.jobs_interval

    @property
    def resolved_group_commit(self) -> int:
        return 32 if self.group_commit is None else self.group_commit

    @property
    def resolved_policies_dir(self) -> Path:
        return self.policies_dir or shipped_policies_dir()


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_PORTS = ("smtp_port",)
# Numeric fields of the service: (type, lowest, highest)
_NUMBERS: dict[str, tuple[type, float, float]] = {
    "port": (int, 0, 65535),
    "jobs_interval": (float, 0.05, 3600),
    "group_commit": (int, 1, 1000),
}


def _port(name: str, raw: str) -> int:
    text = raw.strip()
    if not (text.isdigit() and 1 <= int(text) <= 65535):
        from refundable.core.errors import InputError
        from refundable.core.limits import echo

        raise InputError(
            f"{echo(raw)} is not a TCP port",
            where=ENV_PREFIX + name.upper(),
            allowed="a whole number from 1 to 65535",
        )
    return int(text)


def _number(name: str, raw: str) -> Any:
    kind, low, high = _NUMBERS[name]
    try:
        value = kind(raw.strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        from refundable.core.errors import InputError
        from refundable.core.limits import echo

        raise InputError(
            f"{echo(raw)} is not a usable value",
            where=ENV_PREFIX + name.upper(),
            allowed=f"{'a whole number' if kind is int else 'a number'} from {low:g} to {high:g}",
        )
    return value


def _from_text(name: str, raw: str) -> Any:
    """One environment value as its field's type (paths, booleans, text)."""
    if name.endswith("_dir"):
        return Path(raw)
    if name in _PORTS:
        return _port(name, raw)
    if name in _NUMBERS:
        return _number(name, raw)
    if name in ("migrate_on_start", "demo"):
        word = raw.strip().lower()
        if word not in _TRUE | _FALSE:
            from refundable.core.errors import InputError
            from refundable.core.limits import echo

            raise InputError(
                f"{echo(raw)} is not a yes/no value",
                where=ENV_PREFIX + name.upper(),
                allowed="true/false, yes/no, on/off, 1/0",
            )
        return word in _TRUE
    return raw
