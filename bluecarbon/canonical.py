"""Canonical JSON: the one encoder behind every digest and signature bluecarbon publishes.

Why one function with three frozen profiles, not one format: three digests were published
before this module existed, each over slightly different JSON bytes, and the bytes are part of
what was published:

* :data:`SIGNED`: statements (their ``integrity`` sha256 and the Ed25519 signature are over
  these bytes; ``docs/statements.md`` tells verifiers the rule) and the sink-right ledger's
  entry hashes: sorted keys, ``,``/``:`` separators, UTF-8 characters kept, NaN refused, and
  anything that is not JSON refused;
* :data:`FINGERPRINT`: idempotency keys of releases and cache keys of steps: as ``SIGNED`` but
  ASCII escapes, and values JSON cannot hold (paths, dates) written as their ``str``;
* :data:`CONTENT_HASH`: attributes and nested table values inside a release content hash
  (``docs/store-format.md``): Python's default ``, ``/``: `` separators, ASCII escapes, NaN
  allowed (an attribute may be NaN), unknown values as their ``str``.

Changing any choice of a profile changes every published statement hash, release content hash
or release key, so the profiles are constants and ``tests/unit/test_canonical.py`` pins a digest
for each. New uses pick an existing profile; there is no other JSON encoder for hashing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True)
class JsonProfile:
    """The byte-level choices of one canonical JSON encoding (keys are always sorted)."""

    name: str
    ensure_ascii: bool
    compact: bool
    allow_nan: bool
    stringify_unknown: bool


#: Statements and ledger entries (signed or chained): UTF-8 kept, compact, strict.
SIGNED: Final = JsonProfile(
    "signed", ensure_ascii=False, compact=True, allow_nan=False, stringify_unknown=False
)
#: Release idempotency keys and step cache keys.
FINGERPRINT: Final = JsonProfile(
    "fingerprint", ensure_ascii=True, compact=True, allow_nan=False, stringify_unknown=True
)
#: Attributes and nested values inside a release content hash.
CONTENT_HASH: Final = JsonProfile(
    "content_hash", ensure_ascii=True, compact=False, allow_nan=True, stringify_unknown=True
)


def canonical_json(value: Any, profile: JsonProfile) -> str:
    """JSON text of ``value`` with sorted keys, encoded as ``profile`` says.

    Raises :class:`ValueError` for NaN or infinity under a profile that refuses them and
    :class:`TypeError` for a value JSON cannot hold under :data:`SIGNED`.
    """
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":") if profile.compact else None,
        ensure_ascii=profile.ensure_ascii,
        allow_nan=profile.allow_nan,
        default=str if profile.stringify_unknown else None,
    )


def canonical_sha256(value: Any, profile: JsonProfile) -> str:
    """sha256 (hex) of the UTF-8 bytes of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(value, profile).encode("utf-8")).hexdigest()
