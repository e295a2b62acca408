"""Fingerprints: the one key that decides whether work (or a release) already exists.

The idempotency key of a release, and the cache key of a flow task, is the sha256 of a
canonical JSON document holding the sha256 of every input file, the parameters (tables by
content hash, scalars by value) and the package version. Canonical means sorted keys, no
whitespace and floats by ``repr`` (the ``FINGERPRINT`` profile of :mod:`bluecarbon.canonical`,
the one JSON encoder for hashing), so the same inputs give the same key on any machine.

:func:`release_key` lives here, not with the pipeline steps, because ``bluecarbon status`` and
``run --dry-run`` compute it too: importing it must not import the array libraries the steps
need, and there must be one definition of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bluecarbon import __version__
from bluecarbon.canonical import FINGERPRINT
from bluecarbon.canonical import canonical_json as _encode

if TYPE_CHECKING:
    from bluecarbon.params import ParameterSet
    from bluecarbon.pipeline.study import Study


@cache
def code_version() -> str:
    """The package version, plus a digest of the source when running from a source tree.

    An installed release is identified by its version. A source checkout (editable install,
    the demo) may differ from the version it claims, so its Python sources are hashed into
    a local version label: editing the code then invalidates cached steps and releases.
    """
    package = Path(__file__).resolve().parent
    root = package.parent
    if not (root / "pyproject.toml").is_file():
        return __version__
    digest = hashlib.sha256()
    for folder in (package, root / "flows"):
        for path in sorted(folder.rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return f"{__version__}+src.{digest.hexdigest()[:12]}"


def canonical_json(value: Any) -> str:
    """Deterministic JSON text of a fingerprint: :data:`bluecarbon.canonical.FINGERPRINT`."""
    return _encode(value, FINGERPRINT)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(
    *,
    inputs: Mapping[str, str],
    parameters: Mapping[str, Any],
    package_version: str | None = None,
) -> str:
    """sha256 of {inputs: {name: sha256}, parameters, package_version}."""
    doc = {
        "inputs": dict(sorted(inputs.items())),
        "parameters": parameters,
        "package_version": package_version or code_version(),
    }
    return sha256_text(canonical_json(doc))


def release_key(study: Study, hashes: Mapping[str, str], parameters: ParameterSet) -> str:
    """Idempotency key of a release: inputs + parameters (every table, the study) + version."""
    return fingerprint(
        inputs=hashes,
        parameters={"tables": parameters.digest, "study": study.digest},
    )
