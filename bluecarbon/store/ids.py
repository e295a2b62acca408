"""Release references: calendar tags, ``latest`` and snapshot ids, validated before use.

Anything a user types as a release goes through :func:`parse_release_ref` first, so that a
malformed value is rejected with a clear message before it can reach a path, a tag lookup
or a URL (no path traversal, no odd characters in object keys).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bluecarbon.errors import InvalidReleaseId

TAG_RE = re.compile(r"^(?P<y>\d{4})\.(?P<m>\d{2})\.(?P<d>\d{2})(?:\.(?P<n>[2-9]|[1-9]\d{1,3}))?$")
#: Icechunk snapshot ids: 20 characters of Crockford base32.
SNAPSHOT_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{20}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
PRODUCT_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}(/[a-z][a-z0-9_]{0,62}){0,3}$")


@dataclass(frozen=True)
class ReleaseRef:
    """A parsed release reference: exactly one of ``tag``, ``snapshot_id``, ``latest``."""

    tag: str | None = None
    snapshot_id: str | None = None
    latest: bool = False


def is_release_tag(value: str) -> bool:
    match = TAG_RE.match(value)
    if not match:
        return False
    try:
        date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return False
    return True


def parse_release_ref(value: str) -> ReleaseRef:
    """Parse ``YYYY.MM.DD[.N]``, ``latest`` or a snapshot id; reject anything else."""
    if not isinstance(value, str):
        raise InvalidReleaseId(f"release must be a string, got {type(value).__name__}")
    text = value.strip()
    if text == "latest":
        return ReleaseRef(latest=True)
    if is_release_tag(text):
        return ReleaseRef(tag=text)
    if SNAPSHOT_RE.match(text):
        return ReleaseRef(snapshot_id=text)
    shown = text if len(text) <= 40 else text[:40] + "..."
    raise InvalidReleaseId(
        f"{shown!r} is not a release: expected a calendar tag YYYY.MM.DD or YYYY.MM.DD.N "
        "(N >= 2), 'latest', or a 20-character snapshot id"
    )


def tag_for(day: date, existing: set[str]) -> str:
    """The next free tag for ``day``: ``YYYY.MM.DD``, then ``.2``, ``.3``, ..."""
    base = f"{day:%Y.%m.%d}"
    if base not in existing:
        return base
    n = 2
    while f"{base}.{n}" in existing:
        n += 1
    return f"{base}.{n}"


def check_name(value: str, *, kind: str = "name") -> str:
    """Validate a table or site name (lowercase identifier)."""
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise InvalidReleaseId(
            f"{kind} {value!r} is invalid: expected a lowercase identifier [a-z][a-z0-9_]*"
        )
    return value


def check_product(value: str) -> str:
    """Validate a product path such as ``old_tampa_bay/habitat``."""
    if not isinstance(value, str) or not PRODUCT_RE.match(value):
        raise InvalidReleaseId(f"product {value!r} is invalid: expected lowercase identifiers joined by '/'")
    return value
