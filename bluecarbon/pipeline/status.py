"""What ``bluecarbon run`` would do now, without running it (``status``, ``run --dry-run``).

The answer must be the one ``run`` would give, so nothing here re-implements a key: the
release key is :func:`bluecarbon.fingerprint.release_key` over what the monitoring flow feeds
it (the study, the sha256 of every raw file the study reads, verified against the MANIFEST as
the flow's first task does, and the parameter set loaded from the same folder), and the store
is asked, as publishing asks it, whether a current release already holds that key. Beside the
answer, the same three things and the code version are compared with the latest release's
provenance and pinned parameter tables (row by row, as ``diff`` compares releases), like
``dvc status``. Nothing reads a raster or imports an array library: a status costs the sha256
of the study's raw files and a read of the store's ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bluecarbon.fingerprint import code_version, release_key
from bluecarbon.manifest import verify_manifest
from bluecarbon.params import ParameterSet
from bluecarbon.pipeline.study import load_study
from bluecarbon.store.diff import ParametersDiff, compare_parameter_sets, parameter_origins
from bluecarbon.store.release import PARAMETERS_TABLE, ReleaseInfo, Store


@dataclass(frozen=True)
class InputChanges:
    """Raw files whose sha256 differs from the release's record, and files only one side reads."""

    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.changed) + len(self.added) + len(self.removed)


@dataclass(frozen=True)
class RunStatus:
    """What ``run`` would do with the current study, raw inputs, parameters and code."""

    key: str
    study_file: Path
    n_inputs: int
    n_parameter_tables: int
    code_version: str
    #: The newest release not withdrawn (None: an empty store, or every release withdrawn).
    latest: ReleaseInfo | None
    #: The current release computed from exactly these inputs, if any: what ``run`` returns.
    existing: ReleaseInfo | None
    inputs: InputChanges = field(default_factory=InputChanges)
    parameters: ParametersDiff = field(default_factory=lambda: ParametersDiff(available=True))
    #: None when the latest release did not record its study's digest.
    study_changed: bool | None = None

    @property
    def would_publish(self) -> bool:
        return self.existing is None

    @property
    def code_changed(self) -> bool:
        return self.latest is not None and self.latest.package_version != self.code_version

    def verdict(self) -> str:
        """One line: would ``run`` publish, or which release would it return."""
        if self.existing is None:
            first = "" if self.latest is not None else " (the store holds no current release)"
            return f"run would publish a new release{first}"
        if self.latest is not None and self.existing.tag != self.latest.tag:
            return (
                f"no new release: run would return release {self.existing.tag}, computed from these "
                f"same inputs, parameters, study and code (the latest is {self.latest.tag})"
            )
        return f"nothing changed: run would return release {self.existing.tag}"

    def as_json(self) -> dict[str, Any]:
        """JSON-ready, in a stable key order (``bluecarbon status --json``)."""
        latest = self.latest
        return {
            "would_publish": self.would_publish,
            "verdict": self.verdict(),
            "release_key": self.key,
            "existing_release": self.existing.tag if self.existing else None,
            "latest_release": latest.tag if latest else None,
            "code": {
                "version": self.code_version,
                "latest_release_version": latest.package_version if latest else None,
                "changed": self.code_changed,
            },
            "study": {"file": str(self.study_file), "changed": self.study_changed},
            "inputs": {
                "files": self.n_inputs,
                "changed": list(self.inputs.changed),
                "added": list(self.inputs.added),
                "removed": list(self.inputs.removed),
            },
            "parameters": {"table_count": self.n_parameter_tables, **self.parameters.as_json()},
        }


def input_changes(recorded: list[dict[str, Any]], current: dict[str, str]) -> InputChanges:
    """Compare a release's ``provenance.inputs`` (path, sha256) with ``{path: sha256}`` now."""
    before = {str(i["path"]): str(i["sha256"]) for i in recorded}
    return InputChanges(
        changed=tuple(sorted(p for p in current if p in before and before[p] != current[p])),
        added=tuple(sorted(p for p in current if p not in before)),
        removed=tuple(sorted(p for p in before if p not in current)),
    )


def parameter_changes(store: Store, release: ReleaseInfo, local: ParameterSet) -> ParametersDiff:
    """The tables of ``local`` that differ from the release's pinned set, row by row."""
    if PARAMETERS_TABLE not in release.tables:
        return ParametersDiff(available=False, note=f"release {release.tag} predates pinned parameter tables")
    pinned = store.parameters(release)
    if pinned.digest == local.digest:
        return ParametersDiff(available=True)
    here = {name: str(p["origin"]) for name, p in local.provenance().items()}
    return compare_parameter_sets(pinned, local, parameter_origins(store, release), here)


def run_status(*, study_file: Path, raw_dir: Path, params_dir: Path | None, store: Store | None) -> RunStatus:
    """What ``run`` would do (see the module docstring). ``store`` None: no store yet.

    Raises what the run itself would stop on: an invalid study
    (:class:`~bluecarbon.errors.InputError`), raw files that do not match the MANIFEST
    (:class:`~bluecarbon.errors.ChecksumError`), a bad parameter override folder.
    """
    study = load_study(study_file)
    files = study.raw_files(raw_dir)
    entries = verify_manifest(raw_dir, files)  # the ingest flow's first task, verify-inputs
    hashes = {f: entries[f].sha256 for f in files}
    parameters = ParameterSet.load(params_dir)
    key = release_key(study, hashes, parameters)
    latest = store.latest_or_none() if store is not None else None
    status = RunStatus(
        key=key,
        study_file=study_file,
        n_inputs=len(files),
        n_parameter_tables=len(parameters.names),
        code_version=code_version(),
        latest=latest,
        existing=store.find_by_key(key) if store is not None else None,
    )
    if latest is None or store is None:
        return status
    recorded_study = (latest.provenance.get("study") or {}).get("sha256_canonical")
    return replace(
        status,
        inputs=input_changes(list(latest.provenance.get("inputs", [])), hashes),
        parameters=parameter_changes(store, latest, parameters),
        study_changed=None if recorded_study is None else recorded_study != study.digest,
    )
