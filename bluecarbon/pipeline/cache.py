"""The step cache: a pipeline step reruns only when something it depends on changed.

Every step is keyed by a fingerprint of its raw inputs (sha256), its options and the package
version; its result lives in ``<work>/<step>/<key>/`` with a ``result.json`` that also records
the sha256 of every parameter table the step actually read (a tracked view of the run's
:class:`~bluecarbon.params.ParameterSet` logs them). A finished result is reused only when
those tables are unchanged, so rerunning after adding one scene recomputes only the steps whose
inputs changed, and changing one parameter table invalidates exactly the steps that read it,
with no hand-kept list of tables to forget.

A step is written as::

    key = step_key("name", inputs, options)
    if (hit := cached_result(work_dir, "name", key, parameters)) is not None:
        return hit
    out = out_dir(work_dir, "name", key)
    parameters = parameters.tracked()
    ...  # compute, write files into ``out``
    return finish(out, StepResult("name", key, uris, info), parameters)
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bluecarbon.fingerprint import canonical_json, fingerprint, sha256_text
from bluecarbon.params import ParameterSet


@dataclass(frozen=True)
class StepResult:
    """Small record a step returns: where its outputs are and a few facts about them."""

    step: str
    key: str
    uris: dict[str, str]
    info: dict[str, Any] = field(default_factory=dict)
    cached: bool = False
    #: sha256 of each parameter table the step read (the cache is valid while they match).
    parameters_read: dict[str, str] = field(default_factory=dict)

    @property
    def identity(self) -> str:
        """What a downstream step keys on: this step's key and the tables it read (a result
        recomputed after a parameter change keeps its key but not its identity)."""
        return sha256_text(canonical_json({"key": self.key, "parameters_read": self.parameters_read}))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> StepResult:
        return cls(**json.loads(text))


def step_key(step: str, inputs: Mapping[str, str], options: Mapping[str, Any]) -> str:
    """Fingerprint of a step: input sha256s, its options and the code version. The parameter
    tables it read are checked separately (:func:`cached_result`)."""
    return fingerprint(inputs=inputs, parameters={"step": step, "options": options})


def cached_result(work_dir: Path, step: str, key: str, parameters: ParameterSet) -> StepResult | None:
    """The finished result of ``step`` for ``key``, if every output exists and every parameter
    table it read has the same sha256 in ``parameters``; else None (the step must run)."""
    marker = work_dir / step / key[:24] / "result.json"
    if not marker.is_file():
        return None
    result = StepResult.from_json(marker.read_text())
    if not all(Path(u).exists() for u in result.uris.values()):
        return None
    read = result.parameters_read
    if any(parameters.hashes([name]).get(name) != sha for name, sha in read.items()):
        return None
    return replace(result, cached=True)


def out_dir(work_dir: Path, step: str, key: str) -> Path:
    """A fresh output folder for ``step`` at ``key`` (leftovers of an interrupted run removed)."""
    out = work_dir / step / key[:24]
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    return out


def finish(out: Path, result: StepResult, parameters: ParameterSet) -> StepResult:
    """Record the result and the tables the step read (``parameters`` must be the step's
    tracked view); from now on :func:`cached_result` finds it."""
    done = replace(result, parameters_read=parameters.reads)
    (out / "result.json").write_text(done.to_json())
    return done
