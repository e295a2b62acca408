"""``bluecarbon status``: would ``run`` publish a new release, and what changed since the latest.

Like ``dvc status``: the answer first ("run would publish a new release", or "nothing
changed: run would return release X"), then what differs from the latest release: code
version, study, raw inputs (sha256), parameter tables (row by row, as ``diff`` shows them).
The answer is computed by :func:`bluecarbon.pipeline.status.run_status` with the release key
``run`` itself computes, so the two cannot disagree; ``run --dry-run`` prints this same
report. A problem the run would stop on (an invalid study, a raw file that no longer matches
the MANIFEST) is the command's error. Text lines fit 80 columns, as ``diff``'s do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from bluecarbon.cli import _common as c

if TYPE_CHECKING:
    from bluecarbon.config import Settings
    from bluecarbon.pipeline.status import RunStatus


def status(
    config: c.ConfigOption = None,
    study: c.StudyOption = None,
    params_dir: c.ParamsDirOption = None,
    as_json: c.JsonOption = False,
) -> None:
    """Say whether `run` would publish, and what changed.

    Compares the study, the raw inputs (sha256), the parameter tables and the code version
    with the latest release, and computes the release key `run` would compute: "run would
    publish a new release", or "nothing changed: run would return release X". Runs nothing.
    """
    settings = c.settings(config, study=study, params_dir=params_dir)
    print_status(settings, as_json=as_json)


def _open_store(settings: Settings) -> Any:
    """The configured store, or None when there is none yet (the first run creates it)."""
    from bluecarbon.errors import StoreError
    from bluecarbon.store import Store

    try:
        return Store.open(settings.store_uri, s3=settings.store_s3())
    except StoreError:
        return None


def compute_status(settings: Settings) -> RunStatus:
    """The run status for ``settings``; what the run would stop on becomes the error."""
    from bluecarbon.cli.pipeline import check_project
    from bluecarbon.errors import BlueCarbonError
    from bluecarbon.pipeline.status import run_status

    try:
        check_project(settings)
        return run_status(
            study_file=settings.study_file,
            raw_dir=settings.raw_dir,
            params_dir=settings.params_dir,
            store=_open_store(settings),
        )
    except BlueCarbonError as exc:
        raise c.fail(f"run would stop before publishing: {exc}") from None


def print_status(settings: Settings, *, as_json: bool = False) -> None:
    """Print the status report (text, or ``--json``) of ``settings``."""
    result = compute_status(settings)
    if as_json:
        c.print_json(result.as_json())
        return
    print("\n".join(status_lines(result, settings)))


def _shown(path: Path, root: Path) -> str:
    """A path relative to the working folder when it lies inside it, else relative to the
    project folder (that of bluecarbon.toml) when it lies there, else as configured."""
    resolved = path.resolve()
    for base in (Path.cwd(), root.resolve()):
        if resolved.is_relative_to(base):
            return str(resolved.relative_to(base)) or "."
    return str(path)


def status_lines(st: RunStatus, settings: Settings) -> list[str]:
    """The text report: the answer, then the differences from the latest release."""
    from bluecarbon.cli.difftext import render_parameters, wrap

    overrides = (
        f", overrides from {_shown(settings.params_dir, settings.root)}" if settings.params_dir else ""
    )
    study, raw = _shown(st.study_file, settings.root), _shown(settings.raw_dir, settings.root)
    lines = wrap(
        f"study {study}: {st.n_inputs} raw inputs match {raw}/MANIFEST; "
        f"{st.n_parameter_tables} parameter tables{overrides}; code {st.code_version}"
    )
    lines += wrap(st.verdict())
    latest = st.latest
    if latest is None:
        return lines
    lines += ["", f"since the latest release, {latest.tag}:"]
    code = f"{latest.package_version} -> {st.code_version}" if st.code_changed else "unchanged"
    lines += wrap(f"code: {code}", 2)
    study = {None: "not recorded in the release", True: "changed", False: "unchanged"}[st.study_changed]
    lines += wrap(f"study: {study}", 2)
    changes = st.inputs
    if not changes.count:
        lines += wrap(f"inputs: all {st.n_inputs} unchanged", 2)
    else:
        lines += wrap(
            f"inputs: {len(changes.changed)} changed, {len(changes.added)} added, "
            f"{len(changes.removed)} no longer read",
            2,
        )
        listed = {"changed": changes.changed, "added": changes.added, "no longer read": changes.removed}
        for label, paths in listed.items():
            lines += [line for path in paths for line in wrap(f"{label}: {path}", 4)]
    lines += render_parameters(st.parameters, indent=2)
    return lines
