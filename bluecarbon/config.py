"""Configuration: ``bluecarbon.toml`` at the project root, overridden by ``BLUECARBON_*``
environment variables.

Only the CLI and the flows read configuration; library functions take explicit arguments.
Every key of the TOML file maps to one variable: section ``store``, key ``uri`` is
``BLUECARBON_STORE_URI``. Relative paths are resolved against the directory holding the TOML
file, so the project can be moved and run from anywhere inside it.

Why strict typed models. A configuration error must stop the program at start-up with a
message naming the file, the section and the key, never be read as something else: a token
entry with a typo (``release`` for ``releases``) must not grant every release, ``allow_http =
"false"`` (a string) must not be true, and ``public_releases = "2026.12.04"`` must not become
a tuple of characters. So every section is a pydantic model with ``extra="forbid"`` and strict
types (no coercion from TOML). Environment variables are text by nature: they are parsed here
per declared type (``true``/``false``, integers) before the same strict validation. Secrets
are :class:`~pydantic.SecretStr`, so they print as ``**********`` in any repr, log or error.

pydantic-settings is not used for the environment layer: its nested-variable mapping feeds
raw strings to the strict models (``"true"`` is then not a boolean), and it cannot name the
variable in an error message. The layer below is ~40 lines.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from bluecarbon.errors import ConfigError

CONFIG_NAME = "bluecarbon.toml"
ENV_PREFIX = "BLUECARBON_"
#: Calendar release tags (``2026.11.27``, ``2026.11.27.2``); see bluecarbon.store.ids.
_TAG = re.compile(r"^\d{4}\.\d{2}\.\d{2}(\.\d+)?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: Keys whose values never appear in a message.
SECRET_KEYS = frozenset({"secret_access_key", "token"})


def _check_tags(values: list[str], key: str) -> None:
    for value in values:
        if value != "*" and not _TAG.match(value):
            raise ValueError(f"{key}: {value!r} is not a release tag (YYYY.MM.DD[.N]) or '*'")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StoreSection(_Section):
    #: Local folder (relative to the TOML file) or ``s3://bucket/prefix``.
    uri: str = "data/store"


class CatalogSection(_Section):
    dir: str = "data/catalog"


class RawSection(_Section):
    dir: str = "data/raw"


class WorkSection(_Section):
    dir: str = "data/work"


class StudySection(_Section):
    file: str = "data/studies/demo.toml"


class ParamsSection(_Section):
    #: Folder of parameter tables overriding the shipped ones; empty: none.
    dir: str = ""


class DaskSection(_Section):
    address: str = ""


class PrefectSection(_Section):
    home: str = ".prefect"
    server_startup_timeout: Annotated[int, Field(gt=0)] = 120


class PipelineSection(_Section):
    on_invalid: Literal["fail", "quarantine"] = "quarantine"
    schedule_cron: str = "0 6 1 * *"


class S3Settings(_Section):
    """Connection to an S3-compatible object store. The one type from configuration to the
    store (``bluecarbon.store.S3Options`` is this class)."""

    endpoint_url: str = ""
    region: str = "us-east-1"
    access_key_id: str = ""
    secret_access_key: SecretStr = SecretStr("")
    allow_http: bool = False


class Token(_Section):
    """One ``[[api.tokens]]`` entry: who (``name``), the credential (exactly one of
    ``token`` or, preferred, ``token_sha256``) and what it may read (``releases``: tags or
    ``"*"``; required, so a missing or misspelt key never grants everything)."""

    name: Annotated[str, Field(min_length=1)]
    token: SecretStr | None = None
    token_sha256: str | None = None
    releases: list[str]
    #: The lender whose pledges in the sink-rights register this token may read in full
    #: ("*": every lender's); without it the token sees balances and encumbrance only.
    lender: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Token:
        if (self.token is None) == (self.token_sha256 is None):
            raise ValueError("give exactly one of 'token' or 'token_sha256'")
        if self.token is not None and len(self.token.get_secret_value()) < 16:
            raise ValueError("'token' is shorter than 16 characters; create one with `bluecarbon api-token`")
        if self.token_sha256 is not None and not _SHA256.match(self.token_sha256):
            raise ValueError("'token_sha256' must be 64 lower-case hex digits (the sha256 of the token)")
        if not self.releases:
            raise ValueError("'releases' is empty: list release tags, or [\"*\"] for every release")
        _check_tags(self.releases, "releases")
        return self

    @property
    def digest(self) -> str:
        """sha256 hex of the token."""
        if self.token_sha256 is not None:
            return self.token_sha256
        assert self.token is not None
        return hashlib.sha256(self.token.get_secret_value().encode()).hexdigest()

    def allows(self, tag: str) -> bool:
        return "*" in self.releases or tag in self.releases


class IssuerSection(_Section):
    """Who signs statements and with which key (``bluecarbon issuer init`` creates it)."""

    #: Ed25519 private key (PKCS#8 PEM, mode 0600), outside the store and out of git.
    key_file: Annotated[str, Field(min_length=1)] = ".bluecarbon/issuer.key"
    #: The issuer's name printed beside the signature, e.g. the ocean bureau's.
    name: str = ""


class RegisterSection(_Section):
    """Post-loan monitoring of the sink-rights register (bluecarbon.register.alerts)."""

    #: A pledged parcel's conservative stock or creditable removals falling by more than this
    #: fraction from one release to the next raises an alert.
    alert_drop_fraction: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.1


class ApiSection(_Section):
    host: Annotated[str, Field(min_length=1)] = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8765
    max_request_bytes: Annotated[int, Field(gt=0)] = 65536
    #: Releases anyone may read without a token (tags or "*"). Closed by default.
    public_releases: list[str] = []
    tokens: list[Token] = []

    @model_validator(mode="after")
    def _check(self) -> ApiSection:
        _check_tags(self.public_releases, "public_releases")
        names = [t.name for t in self.tokens]
        if len(set(names)) != len(names):
            raise ValueError(f"token names repeat: {sorted({n for n in names if names.count(n) > 1})}")
        return self


class ConfigFile(_Section):
    """The whole file: one model per section."""

    store: StoreSection = Field(default_factory=StoreSection)
    catalog: CatalogSection = Field(default_factory=CatalogSection)
    raw: RawSection = Field(default_factory=RawSection)
    work: WorkSection = Field(default_factory=WorkSection)
    study: StudySection = Field(default_factory=StudySection)
    params: ParamsSection = Field(default_factory=ParamsSection)
    dask: DaskSection = Field(default_factory=DaskSection)
    prefect: PrefectSection = Field(default_factory=PrefectSection)
    pipeline: PipelineSection = Field(default_factory=PipelineSection)
    s3: S3Settings = Field(default_factory=S3Settings)
    issuer: IssuerSection = Field(default_factory=IssuerSection)
    # named register_ because pydantic models inherit ABCMeta.register; the file says [register]
    register_: RegisterSection = Field(default_factory=RegisterSection, alias="register")
    api: ApiSection = Field(default_factory=ApiSection)


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
    api_tokens: tuple[Token, ...] = ()
    api_public_releases: tuple[str, ...] = ()
    api_max_request_bytes: int = 65536
    #: Private key that signs statements (outside the store; see bluecarbon.report.signing).
    issuer_key_file: Path = Path(".bluecarbon/issuer.key")
    #: Who issues the statements (printed beside the signature).
    issuer_name: str = ""
    #: Post-loan monitoring: the relative drop that raises an alert.
    register_alert_drop_fraction: float = 0.1
    #: The bluecarbon.toml read (None: embedded defaults, relative to the working directory).
    config_file: Path | None = None

    @property
    def is_s3(self) -> bool:
        return self.store_uri.startswith("s3://")

    def store_s3(self) -> S3Settings | None:
        """The S3 settings when the store is in a bucket, else None."""
        return self.s3 if self.is_s3 else None

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
    """Read the TOML file (or embedded defaults when there is none), apply environment
    overrides and validate; any problem is a :class:`ConfigError` naming file and key."""
    env = os.environ if env is None else env
    config_path = Path(path) if path is not None else find_config(root)
    data: dict[str, Any] = {}
    if config_path is not None:
        data = _read_toml(config_path)
    origin = str(config_path) if config_path is not None else "the defaults"
    env_keys = _apply_env(data, env)
    try:
        parsed = ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, origin, env_keys)) from None
    base = config_path.resolve().parent if config_path is not None else (root or Path.cwd()).resolve()
    return _settings(parsed, base, config_path.resolve() if config_path is not None else None)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such configuration file (check --config or BLUECARBON_CONFIG)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """Overlay ``BLUECARBON_<SECTION>_<KEY>`` variables onto ``data`` (parsed per declared
    type); returns which (section, key) came from which variable. A variable naming a known
    section but an unknown key is an error (a typo must not be ignored)."""
    sections = ConfigFile.model_fields
    used: dict[tuple[str, str], str] = {}
    for var, text in sorted(env.items()):
        if not var.startswith(ENV_PREFIX):
            continue
        rest = var[len(ENV_PREFIX) :].lower()
        section, _, key = rest.partition("_")
        if section not in sections or not key:
            continue  # BLUECARBON_CONFIG, BLUECARBON_PROJECT, ...: not settings
        model = sections[section].annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        fields = model.model_fields
        if key not in fields:
            known = [f"{ENV_PREFIX}{section.upper()}_{k.upper()}" for k in fields]
            raise ConfigError(f"environment variable {var}: unknown setting{_suggest(var, known)}")
        current = data.setdefault(section, {})
        if not isinstance(current, dict):
            continue  # the file's own error is reported by validation
        current[key] = _parse_env(var, text, fields[key].annotation)
        used[(section, key)] = var
    return used


def _parse_env(var: str, text: str, annotation: Any) -> Any:
    kinds = {a for a in (get_args(annotation) or (annotation,)) if a is not type(None)}
    if get_origin(annotation) is Annotated:
        kinds = {get_args(annotation)[0]}
    if bool in kinds:
        word = text.strip().lower()
        if word in ("1", "true", "yes", "on"):
            return True
        if word in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"environment variable {var}={text!r} is not a boolean (expected true or false)")
    if int in kinds:
        try:
            return int(text.strip())
        except ValueError:
            raise ConfigError(f"environment variable {var}={text!r} is not an integer") from None
    if any(get_origin(k) is list for k in kinds):
        raise ConfigError(f"environment variable {var}: lists can only be set in bluecarbon.toml")
    return text


def _explain(exc: ValidationError, origin: str, env_keys: Mapping[tuple[str, str], str]) -> str:
    """One line per problem, each naming where (file and key, or the variable)."""
    problems = [_explain_one(error, origin, env_keys) for error in exc.errors()]
    head = f"{origin}: invalid configuration" if len(problems) > 1 else ""
    return "\n  ".join([head, *problems]) if head else problems[0]


def _explain_one(error: Any, origin: str, env_keys: Mapping[tuple[str, str], str]) -> str:
    loc = list(error["loc"])
    kind = error["type"]
    section = str(loc[0]) if loc else ""
    key: str | None = None
    if section == "api" and len(loc) >= 3 and loc[1] == "tokens" and isinstance(loc[2], int):
        given = error.get("input")
        name = ""
        if len(loc) == 3 and isinstance(given, dict) and isinstance(given.get("name"), str):
            name = f" ({given['name']})"
        where = f"[[api.tokens]] #{loc[2] + 1}{name}"
        key = str(loc[3]) if len(loc) > 3 else None
        allowed = list(Token.model_fields)
    elif len(loc) >= 2:
        where, key = f"[{section}]", str(loc[1])
        model = ConfigFile.model_fields[section].annotation if section in ConfigFile.model_fields else None
        allowed = list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
    elif len(loc) == 1 and kind != "extra_forbidden":
        where, allowed = f"[{section}]", []
        if kind == "value_error":  # a section-wide rule; its message names the key
            return f"{origin}: {where} {str(error['msg']).removeprefix('Value error, ')}"
    else:
        where, key, allowed = "", section, list(ConfigFile.model_fields)
    if kind == "extra_forbidden":
        if not where:
            return f"{origin}: unknown section [{key}]{_suggest(str(key), allowed)}"
        return (
            f"{origin}: {where} unknown key {key!r}{_suggest(str(key), allowed)} "
            f"(allowed: {', '.join(allowed)})"
        )
    if kind == "missing":
        return f"{origin}: {where} missing key {key!r}"
    var = env_keys.get((section, key)) if key is not None and "#" not in where else None
    label = f"environment variable {var}" if var else f"{origin}: {where}" + (f" {key}" if key else "")
    shown = "" if key in SECRET_KEYS or kind == "value_error" else f", got {_shown(error.get('input'))}"
    message = _plain_message(kind, str(error["msg"]).removeprefix("Value error, "))
    return f"{label}: {message}{shown}"


def _plain_message(kind: str, message: str) -> str:
    plain = {
        "model_type": "expected a table of keys",
        "dict_type": "expected a table of keys",
        "bool_type": "expected a boolean (true or false, without quotes)",
        "int_type": "expected an integer (without quotes)",
        "string_type": "expected a string (in quotes)",
        "list_type": 'expected a list, e.g. ["a", "b"]',
    }
    return plain.get(kind, message.replace("Input should be", "expected"))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _suggest(word: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _settings(parsed: ConfigFile, base: Path, config_file: Path | None) -> Settings:
    if "://" in parsed.store.uri and not parsed.store.uri.startswith(("s3://", "file://")):
        raise ConfigError(
            f"{config_file or 'the defaults'}: [store] uri {parsed.store.uri!r}: "
            "expected a folder or s3://bucket/prefix"
        )
    return Settings(
        root=base,
        store_uri=_resolve_uri(parsed.store.uri, base),
        catalog_dir=_resolve(parsed.catalog.dir, base),
        raw_dir=_resolve(parsed.raw.dir, base),
        work_dir=_resolve(parsed.work.dir, base),
        study_file=_resolve(parsed.study.file, base),
        params_dir=_resolve(parsed.params.dir, base) if parsed.params.dir else None,
        dask_address=parsed.dask.address,
        prefect_home=_resolve(parsed.prefect.home, base),
        prefect_server_startup_timeout=parsed.prefect.server_startup_timeout,
        on_invalid=parsed.pipeline.on_invalid,
        schedule_cron=parsed.pipeline.schedule_cron,
        s3=parsed.s3,
        api_host=parsed.api.host,
        api_port=parsed.api.port,
        api_tokens=tuple(parsed.api.tokens),
        api_public_releases=tuple(parsed.api.public_releases),
        api_max_request_bytes=parsed.api.max_request_bytes,
        issuer_key_file=_resolve(parsed.issuer.key_file, base),
        issuer_name=parsed.issuer.name,
        register_alert_drop_fraction=parsed.register_.alert_drop_fraction,
        config_file=config_file,
    )


def _resolve(value: str | Path, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _resolve_uri(value: str, base: Path) -> str:
    if "://" in value:
        return value
    return str(_resolve(value, base))
