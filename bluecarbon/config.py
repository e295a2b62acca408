"""Configuration: ``bluecarbon.toml`` at the project root, overridden by ``BLUECARBON_*``
environment variables.

Only the CLI and the flows read configuration; library functions take explicit arguments.
Every key of the TOML file maps to one variable: section ``store``, key ``uri`` is
``BLUECARBON_STORE_URI``. Relative paths are resolved against the directory holding the TOML
file, so the project can be moved and run from anywhere inside it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bluecarbon.errors import ConfigError

CONFIG_NAME = "bluecarbon.toml"

#: Embedded defaults: local store, no Prefect server, local dask.
DEFAULTS: dict[str, dict[str, Any]] = {
    "store": {"uri": "data/store"},
    "catalog": {"dir": "data/catalog"},
    "raw": {"dir": "data/raw"},
    "work": {"dir": "data/work"},
    "study": {"file": "data/studies/demo.toml"},
    "params": {"dir": ""},
    "dask": {"address": ""},
    "prefect": {"home": ".prefect", "server_startup_timeout": 120},
    "pipeline": {"on_invalid": "quarantine", "schedule_cron": "0 6 1 * *"},
    "s3": {
        "endpoint_url": "",
        "region": "us-east-1",
        "access_key_id": "",
        "secret_access_key": "",
        "allow_http": False,
    },
    "api": {
        "host": "127.0.0.1",
        "port": 8765,
        "tokens": [],
        "public_releases": [],
        "max_request_bytes": 65536,
    },
    "register": {"alert_drop_fraction": 0.1},
}


@dataclass(frozen=True)
class S3Settings:
    endpoint_url: str = ""
    region: str = "us-east-1"
    access_key_id: str = ""
    secret_access_key: str = ""
    allow_http: bool = False


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Paths are absolute."""

    root: Path
    store_uri: str
    catalog_dir: Path
    raw_dir: Path
    work_dir: Path
    study_file: Path
    params_dir: Path | None = None
    dask_address: str = ""
    prefect_home: Path = Path(".prefect")
    prefect_server_startup_timeout: int = 120
    on_invalid: Literal["fail", "quarantine"] = "quarantine"
    schedule_cron: str = "0 6 1 * *"
    s3: S3Settings = field(default_factory=S3Settings)
    api_host: str = "127.0.0.1"
    api_port: int = 8765
    api_tokens: tuple[dict[str, Any], ...] = ()
    api_public_releases: tuple[str, ...] = ()
    api_max_request_bytes: int = 65536
    #: Post-loan monitoring: a pledged parcel's conservative stock or creditable removals falling
    #: by more than this fraction from one release to the next raises an alert.
    register_alert_drop_fraction: float = 0.1
    #: The bluecarbon.toml read (None: embedded defaults, relative to the working directory).
    config_file: Path | None = None

    def prefect_environment(self) -> dict[str, str]:
        """Environment Prefect needs here: its own home, a long enough ephemeral-server
        start-up (17-23 s on 2 cores), and no telemetry."""
        return {
            "PREFECT_HOME": str(self.prefect_home),
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(self.prefect_server_startup_timeout),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_UI_ENABLED": os.environ.get("PREFECT_UI_ENABLED", "false"),
        }


def find_config(start: Path | None = None) -> Path | None:
    """``BLUECARBON_CONFIG`` if set, else the nearest bluecarbon.toml at or above ``start``."""
    explicit = os.environ.get("BLUECARBON_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"BLUECARBON_CONFIG points at {path}, which is not a file")
        return path.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_settings(
    path: Path | None = None, *, env: Mapping[str, str] | None = None, root: Path | None = None
) -> Settings:
    """Read the TOML file (or embedded defaults when there is none) and apply env overrides."""
    env = os.environ if env is None else env
    config_path = path if path is not None else find_config(root)
    raw: dict[str, dict[str, Any]] = {section: dict(keys) for section, keys in DEFAULTS.items()}
    if config_path is not None:
        try:
            loaded = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
        for section, keys in loaded.items():
            if section not in raw or not isinstance(keys, dict):
                raise ConfigError(
                    f"{config_path}: unknown section [{section}]",
                )
            for key, value in keys.items():
                if key not in raw[section]:
                    raise ConfigError(f"{config_path}: unknown key {key!r} in [{section}]")
                raw[section][key] = value
    for section, keys in raw.items():
        for key, default in list(keys.items()):
            var = f"BLUECARBON_{section.upper()}_{key.upper()}"
            if var in env:
                raw[section][key] = _coerce(env[var], default, var)
    base = Path(config_path).resolve().parent if config_path is not None else (root or Path.cwd()).resolve()
    on_invalid = raw["pipeline"]["on_invalid"]
    if on_invalid not in ("fail", "quarantine"):
        raise ConfigError(f"pipeline.on_invalid is {on_invalid!r}; expected 'fail' or 'quarantine'")
    drop = _fraction(raw["register"]["alert_drop_fraction"], "register.alert_drop_fraction")
    tokens = raw["api"]["tokens"]
    if not isinstance(tokens, list) or not all(isinstance(t, dict) for t in tokens):
        raise ConfigError("api.tokens must be a list of tables ({token = ..., name = ...})")
    return Settings(
        root=base,
        store_uri=_resolve_uri(str(raw["store"]["uri"]), base),
        catalog_dir=_resolve(raw["catalog"]["dir"], base),
        raw_dir=_resolve(raw["raw"]["dir"], base),
        work_dir=_resolve(raw["work"]["dir"], base),
        study_file=_resolve(raw["study"]["file"], base),
        params_dir=_resolve(raw["params"]["dir"], base) if raw["params"]["dir"] else None,
        dask_address=str(raw["dask"]["address"]),
        prefect_home=_resolve(raw["prefect"]["home"], base),
        prefect_server_startup_timeout=int(raw["prefect"]["server_startup_timeout"]),
        on_invalid=on_invalid,
        schedule_cron=str(raw["pipeline"]["schedule_cron"]),
        s3=S3Settings(**raw["s3"]),
        api_host=str(raw["api"]["host"]),
        api_port=int(raw["api"]["port"]),
        api_tokens=tuple(tokens),
        api_public_releases=tuple(str(r) for r in raw["api"]["public_releases"]),
        api_max_request_bytes=int(raw["api"]["max_request_bytes"]),
        register_alert_drop_fraction=drop,
        config_file=Path(config_path).resolve() if config_path is not None else None,
    )


def _fraction(value: object, key: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{key} is {value!r}; expected a fraction between 0 and 1, e.g. 0.1") from None
    if not 0.0 <= number < 1.0:
        raise ConfigError(f"{key} is {value!r}; expected a fraction between 0 and 1, e.g. 0.1")
    return number


def _resolve(value: str | Path, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _resolve_uri(value: str, base: Path) -> str:
    if "://" in value:
        return value
    return str(_resolve(value, base))


def _coerce(text: str, default: object, var: str) -> object:
    if isinstance(default, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{var}={text!r} is not a boolean")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{var}={text!r} is not an integer") from None
    if isinstance(default, list):
        raise ConfigError(f"{var}: lists can only be set in bluecarbon.toml")
    return text
