"""Configuration: defaults, overridden by ``MOCKARRAY_*`` environment variables.

Nothing here runs at import time; ``from_env()`` is called by ``create_app``,
the ``mockarray`` command and the gunicorn settings (``serving.py``), so tests
can pass their own mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

#: Every setting, its environment variable, its default and what it means.
#: The README's configuration table is written from this list.
SETTINGS: list[tuple[str, str, object, str]] = [
    (
        "DATA_DIR",
        "MOCKARRAY_DATA_DIR",
        "var",
        "Directory for the SQLite database, the log files, gunicorn's control socket and "
        "the workers' metrics.",
    ),
    (
        "DATABASE_URL",
        "MOCKARRAY_DATABASE_URL",
        None,
        "SQLAlchemy URL of the database; default `sqlite:///<data dir>/mockarray.db`. "
        "For PostgreSQL: `postgresql+psycopg://user@host:5432/db`.",
    ),
    (
        "LOG_DIR",
        "MOCKARRAY_LOG_DIR",
        None,
        "Directory of the API call log served by `GET /log`; default `<data dir>/log`.",
    ),
    ("LOG_LEVEL", "MOCKARRAY_LOG_LEVEL", "INFO", "Level of the server's own log."),
    (
        "LOG_MAX_BYTES",
        "MOCKARRAY_LOG_MAX_BYTES",
        10 * 1024 * 1024,
        "Size at which a log file is rotated.",
    ),
    ("LOG_BACKUPS", "MOCKARRAY_LOG_BACKUPS", 5, "Rotated log files kept."),
    ("BIND", "MOCKARRAY_BIND", "127.0.0.1:8080", "Address gunicorn listens on."),
    ("WORKERS", "MOCKARRAY_WORKERS", 2, "Number of gunicorn worker processes."),
    (
        "TLS_CERTFILE",
        "MOCKARRAY_TLS_CERTFILE",
        "",
        "PEM certificate file: with `MOCKARRAY_TLS_KEYFILE`, the server speaks HTTPS.",
    ),
    (
        "TLS_KEYFILE",
        "MOCKARRAY_TLS_KEYFILE",
        "",
        "PEM private key file of `MOCKARRAY_TLS_CERTFILE`.",
    ),
    (
        "SESSION_TIMEOUT",
        "MOCKARRAY_SESSION_TIMEOUT",
        1800,
        "Seconds a plugin session may stay idle before it expires; 0 never expires.",
    ),
    (
        "MAX_BODY_BYTES",
        "MOCKARRAY_MAX_BODY_BYTES",
        1024 * 1024,
        "Largest request body accepted; larger is `413`.",
    ),
    (
        "MAX_FIXTURE_BYTES",
        "MOCKARRAY_MAX_FIXTURE_BYTES",
        64 * 1024 * 1024,
        "Largest fixture document `POST /mockarray/api/seed` accepts (10,000 volumes, "
        "each with a snapshot and a mapped LUN, are about 1.6 MiB of YAML); larger is `413`.",
    ),
    (
        "SQLITE_BUSY_TIMEOUT_MS",
        "MOCKARRAY_SQLITE_BUSY_TIMEOUT_MS",
        30000,
        "How long an SQLite writer waits for another one to finish; then its call is "
        "answered `503` (`Retry-After: 1`).",
    ),
    (
        "SPLIT_RATE",
        "MOCKARRAY_SPLIT_RATE",
        "quick",
        "How fast a clone split copies (simulated): `quick`, every split takes 2 s to 8 s "
        "(2 s plus 6 s per 8 TiB, at most 8 s), so a CI run waits seconds and still sees it "
        "in progress; `realistic`, 512 MiB per second, for soak labs (the demo lab's 1.2 TiB "
        "clone takes 40 minutes); or a number of bytes per second.",
    ),
    (
        "JOURNAL_SIZE",
        "MOCKARRAY_JOURNAL_SIZE",
        10000,
        "Plugin API calls the request journal keeps; the oldest go first.",
    ),
    (
        "ADMIN_TOKEN",
        "MOCKARRAY_ADMIN_TOKEN",
        "",
        "Bearer token of the control plane (/mockarray/api); unset: loopback clients only.",
    ),
    (
        "REPLICATION_RATE",
        "MOCKARRAY_REPLICATION_RATE",
        "quick",
        "How fast a snapshot replicates to a partner array (simulated): `quick`, every "
        "transfer takes 2 s to 8 s as a split does; `realistic`, 128 MiB per second (a 1 Gbit/s "
        "link); or a number of bytes per second.",
    ),
]

_INT_SETTINGS = {name for name, _, default, _ in SETTINGS if isinstance(default, int)}

#: What ``realistic`` means for each rate setting, in bytes per second.
REALISTIC_RATES = {"SPLIT_RATE": 512 * 1024**2, "REPLICATION_RATE": 128 * 1024**2}


class ConfigError(ValueError):
    """A configuration value that cannot be used."""


def from_env(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The configuration read from ``environ`` (default: ``os.environ``).

    ``overrides`` win over the environment, and the settings that default from
    others (database and log paths) follow the overridden values.
    """
    environ = os.environ if environ is None else environ
    config: dict[str, object] = {}
    for name, variable, default, _ in SETTINGS:
        raw = environ.get(variable)
        if raw is None or raw == "":
            config[name] = default
        elif name in REALISTIC_RATES:
            config[name] = rate(name, variable, raw)
        elif name in _INT_SETTINGS:
            try:
                config[name] = int(raw)
            except ValueError:
                raise ConfigError(f"{variable} must be a whole number, not {raw!r}") from None
        else:
            config[name] = raw
    config.update(overrides or {})
    return finish(config)


def rate(name: str, variable: str, raw: str) -> int | str:
    """A rate setting: ``quick``, ``realistic`` (its number) or bytes per second."""
    value = raw.strip().lower()
    if value == "quick":
        return value
    if value == "realistic":
        return REALISTIC_RATES[name]
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise ConfigError(
        f"{variable} must be quick, realistic or a whole number of bytes per second, not {raw!r}"
    )


def finish(config: dict[str, object]) -> dict[str, object]:
    """Fill the settings that default from others (database and log paths)."""
    data_dir = Path(str(config.get("DATA_DIR") or "var")).resolve()
    config["DATA_DIR"] = str(data_dir)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{data_dir / 'mockarray.db'}"
    if not config.get("LOG_DIR"):
        config["LOG_DIR"] = str(data_dir / "log")
    for name, _, default, _ in SETTINGS:
        config.setdefault(name, default)
    return config
