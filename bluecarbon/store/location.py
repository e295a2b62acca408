"""Where a store lives: a local folder (embedded default) or an S3-compatible prefix.

One object answers "how do I reach the Icechunk repository, the Delta tables and the lock"
for both kinds of store, so the release logic above it never branches on the backend except
for locking (local stores take a file lock; object stores rely on Icechunk's conditional
updates).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import icechunk

from bluecarbon.config import S3Settings
from bluecarbon.errors import StoreError, TransientIOError

#: Icechunk error kinds that a retry can cure on an object store (network, throttling).
TRANSIENT_KINDS = frozenset({"object-store", "io", "throttled", "concurrency"})


def is_transient(exc: BaseException) -> bool:
    """True for failures that may succeed when retried: connection refused or reset,
    timeouts, throttling (Icechunk storage errors of those kinds, or the OS equivalents)."""
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    if isinstance(exc, icechunk.StorageError):
        return str(getattr(exc, "kind", "")).lower() in TRANSIENT_KINDS
    return False


def as_transient(exc: BaseException, uri: str) -> TransientIOError:
    """A TransientIOError (the one type flows retry) naming the store."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return TransientIOError(f"object store {uri} unreachable or busy ({first}); retrying may help")


#: Connection settings of an S3-compatible store: the configuration's own type, so settings
#: flow from bluecarbon.toml to the store without copying (the secret stays a SecretStr).
S3Options = S3Settings


@dataclass(frozen=True)
class StoreLocation:
    """A store URI (absolute path or ``s3://bucket/prefix``) with its S3 options.

    The secret key stays a :class:`~pydantic.SecretStr` (``**********`` in any repr); it is
    revealed only in the two calls that hand it to Icechunk and Delta Lake."""

    uri: str
    s3: S3Options | None = None

    def __post_init__(self) -> None:
        parsed = urlparse(self.uri)
        if parsed.scheme not in ("", "file", "s3"):
            raise StoreError(f"unsupported store URI {self.uri!r}: use a path or s3://bucket/prefix")
        if parsed.scheme == "s3" and not parsed.netloc:
            raise StoreError(f"store URI {self.uri!r} has no bucket")

    @property
    def is_local(self) -> bool:
        return urlparse(self.uri).scheme in ("", "file")

    @property
    def path(self) -> Path:
        if not self.is_local:
            raise StoreError(f"{self.uri} is not a local store")
        parsed = urlparse(self.uri)
        return Path(parsed.path if parsed.scheme == "file" else self.uri)

    def _bucket_prefix(self) -> tuple[str, str]:
        parsed = urlparse(self.uri)
        return parsed.netloc, parsed.path.strip("/")

    def icechunk_storage(self) -> icechunk.Storage:
        if self.is_local:
            return icechunk.local_filesystem_storage(str(self.path / "repo"))
        bucket, prefix = self._bucket_prefix()
        opts = self.s3 or S3Options()
        return icechunk.s3_storage(
            bucket=bucket,
            prefix=f"{prefix}/repo" if prefix else "repo",
            region=opts.region,
            endpoint_url=opts.endpoint_url or None,
            allow_http=opts.allow_http,
            access_key_id=opts.access_key_id or None,
            secret_access_key=opts.secret_access_key.get_secret_value() or None,
            force_path_style=bool(opts.endpoint_url),
        )

    def table_uri(self, name: str) -> str:
        if self.is_local:
            return str(self.path / "tables" / name)
        bucket, prefix = self._bucket_prefix()
        return f"s3://{bucket}/{prefix}/tables/{name}" if prefix else f"s3://{bucket}/tables/{name}"

    def delta_storage_options(self) -> dict[str, str] | None:
        if self.is_local:
            return None
        opts = self.s3 or S3Options()
        out = {
            "AWS_REGION": opts.region,
            "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
            "conditional_put": "etag",
        }
        if opts.endpoint_url:
            out["AWS_ENDPOINT_URL"] = opts.endpoint_url
        if opts.allow_http:
            out["AWS_ALLOW_HTTP"] = "true"
        if opts.access_key_id:
            out["AWS_ACCESS_KEY_ID"] = opts.access_key_id
            out["AWS_SECRET_ACCESS_KEY"] = opts.secret_access_key.get_secret_value()
        return out
