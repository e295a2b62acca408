"""CLI latency benchmark: ``python -m benchmarks.cli [--project DIR] [--json FILE]``.

What a person waits for at the prompt, measured the way they meet it: each command in a fresh
process (interpreter start-up and imports included), several times, median reported. The
commands run against a demo project: without ``--project`` one is built in a temporary folder
by running ``bluecarbon run`` on the shipped study and raw data (as tests/conftest.py's
``write_config`` does), then a second time with one parameter table overridden through
``[params] dir`` (the Monte Carlo seed) so that there are two releases to ``diff``. Building
takes a few minutes (Prefect's embedded server starts twice); pass ``--project`` with the
folder printed by an earlier run (``--keep``) to reuse it.

It prints a table of median seconds against the goals of issue 16 and writes the figures as
JSON (``--json``), with the load average before and after, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLUECARBON = Path(sys.executable).with_name("bluecarbon")
PARCEL = "tbep-1"


@dataclass(frozen=True)
class Case:
    """One command to time: its label, arguments, goal (seconds) and how often to run it."""

    label: str
    args: tuple[str, ...]
    goal: float | None
    goal_note: str
    slow: bool = False
    output: str | None = None  # an export target to remove after each run


def _env(project: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "COLUMNS": "160",
    }


def write_config(folder: Path, params_dir: Path | None = None) -> Path:
    """bluecarbon.toml reading the shipped raw data and study, writing under ``folder``."""
    lines = [
        f'[store]\nuri = "{folder / "store"}"',
        f'[catalog]\ndir = "{folder / "catalog"}"',
        f'[raw]\ndir = "{ROOT / "data" / "raw"}"',
        f'[work]\ndir = "{folder / "work"}"',
        f'[study]\nfile = "{ROOT / "data" / "studies" / "demo.toml"}"',
        f'[prefect]\nhome = "{folder / ".prefect"}"',
    ]
    if params_dir is not None:
        lines.append(f'[params]\ndir = "{params_dir}"')
    path = folder / "bluecarbon.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _run_pipeline(config: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [str(BLUECARBON), "run", "--config", str(config)],
        cwd=config.parent,
        env=_env(config.parent),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bluecarbon run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def build_project(folder: Path) -> dict[str, float]:
    """A demo project with two releases (the second with an overridden Monte Carlo seed)."""
    folder.mkdir(parents=True, exist_ok=True)
    timings = {"first_run_seconds": _run_pipeline(write_config(folder))}
    params = folder / "params"
    params.mkdir(exist_ok=True)
    shipped = (ROOT / "bluecarbon" / "params" / "uncertainty.csv").read_text().splitlines()
    changed = [
        line.replace("mc_seed,20261127,", "mc_seed,20261128,") if line.startswith("mc_seed,") else line
        for line in shipped
    ]
    (params / "uncertainty.csv").write_text("\n".join(changed) + "\n")
    timings["second_run_seconds"] = _run_pipeline(write_config(folder, params))
    return timings


def _tags(config: Path) -> list[str]:
    done = subprocess.run(
        [str(BLUECARBON), "releases", "--json", "--config", str(config)],
        capture_output=True,
        text=True,
        check=True,
        env=_env(config.parent),
    )
    return [r["tag"] for r in json.loads(done.stdout)]


def cases(config: Path, a: str, b: str, scratch: Path) -> list[Case]:
    cfg = ("--config", str(config))
    return [
        Case("--version", ("--version",), 0.3, "<= 0.3 s"),
        Case("--help", ("--help",), 0.3, "<= 0.3 s"),
        Case("releases", ("releases", *cfg), 1.5, "<= 1.5 s"),
        Case("show latest", ("show", "latest", *cfg), 1.5, "<= 1.5 s"),
        Case("parcels", ("parcels", *cfg), 1.5, "<= 1.5 s (as releases)"),
        Case("sites", ("sites", *cfg), 1.5, "<= 1.5 s (as releases)"),
        Case("status", ("status", *cfg), None, "no goal (sha256 of the study's raw files)"),
        Case(f"diff {a} {b}", ("diff", a, b, *cfg), 1.5, "<= 1.5 s"),
        Case(f"statement {PARCEL} (json)", ("statement", PARCEL, "--format", "json", *cfg), 3.0, "<= 3 s"),
        Case("verify latest", ("verify", "latest", *cfg), 17.0, "no slower than 17 s", slow=True),
        Case(
            "export geotiff",
            ("export", "latest", "--format", "geotiff", "-o", str(scratch / "tif"), *cfg),
            30.0,
            "<= 30 s",
            slow=True,
            output=str(scratch / "tif"),
        ),
        Case(
            "export netcdf",
            ("export", "latest", "--format", "netcdf", "-o", str(scratch / "release.nc"), *cfg),
            62.0,
            "no slower than 62 s",
            slow=True,
            output=str(scratch / "release.nc"),
        ),
    ]


def time_case(case: Case, *, runs: int, cwd: Path) -> dict:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [str(BLUECARBON), *case.args], cwd=cwd, env=_env(cwd), capture_output=True, text=True, check=False
        )
        seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"bluecarbon {' '.join(case.args)} failed:\n{done.stderr[-3000:]}")
        if case.output is not None:
            target = Path(case.output)
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    median = statistics.median(seconds)
    return {
        "command": case.label,
        "args": list(case.args),
        "runs": seconds,
        "median_seconds": median,
        "goal_seconds": case.goal,
        "goal": case.goal_note,
        "met": None if case.goal is None else median <= case.goal,
    }


def report(results: list[dict]) -> str:
    lines = [f"{'command':<34} {'median s':>9} {'min s':>7} {'max s':>7} {'runs':>5}  goal"]
    for r in results:
        mark = "" if r["met"] is None else ("ok" if r["met"] else "MISSED")
        lines.append(
            f"{r['command']:<34} {r['median_seconds']:>9.2f} {min(r['runs']):>7.2f} {max(r['runs']):>7.2f} "
            f"{len(r['runs']):>5}  {r['goal']} {mark}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli", description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=None, help="reuse this demo project folder")
    parser.add_argument("--runs", type=int, default=5, help="runs of each quick command (median reported)")
    parser.add_argument("--slow-runs", type=int, default=3, help="runs of verify and the exports")
    parser.add_argument(
        "--only", nargs="*", default=None, help="commands to time by label prefix: version help releases ..."
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the project built here")
    ns = parser.parse_args()
    built: dict[str, float] = {}
    project = ns.project
    if project is None:
        project = Path(tempfile.mkdtemp(prefix="bluecarbon-cli-bench-"))
        print(f"building a demo project with two releases in {project} ...", flush=True)
        built = build_project(project)
    config = project / "bluecarbon.toml"
    tags = _tags(config)
    if len(tags) < 2:
        raise SystemExit(f"{project} has {len(tags)} release(s); diff needs two (omit --project to build)")
    scratch = Path(tempfile.mkdtemp(prefix="bluecarbon-cli-bench-out-"))
    record: dict = {
        "project": str(project),
        "build": built,
        "releases": tags,
        "load_average_before": os.getloadavg(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
    }
    results = []
    for case in cases(config, tags[-2], tags[-1], scratch):
        if ns.only is not None and not any(case.label.lstrip("-").startswith(o) for o in ns.only):
            continue
        results.append(time_case(case, runs=ns.slow_runs if case.slow else ns.runs, cwd=project))
        print(report(results[-1:]).splitlines()[-1], flush=True)
    record["load_average_after"] = os.getloadavg()
    record["results"] = results
    shutil.rmtree(scratch, ignore_errors=True)
    print("\n" + report(results))
    print(
        "load average (1, 5, 15 min) before {} after {}".format(
            *(tuple(round(x, 2) for x in record[k]) for k in ("load_average_before", "load_average_after"))
        )
    )
    if ns.json:
        ns.json.parent.mkdir(parents=True, exist_ok=True)
        ns.json.write_text(json.dumps(record, indent=1) + "\n")
    if ns.project is None and not ns.keep:
        shutil.rmtree(project, ignore_errors=True)
    elif ns.project is None:
        print(f"project kept in {project} (reuse with --project {project})")


if __name__ == "__main__":
    main()
