"""Scale benchmark of the transition engine: ``python -m benchmarks [--sizes 2000 8000 16000]``.

For each size (pixels per side) it generates seeded snapshots (benchmarks.generate: three
snapshots 2010/2020/2030, the shared CBC tables, analysis year 2050 = 40 years after the first
snapshot), then runs, each in its own process so that peak memory is the process's own:

* ``cli``: the ``bluecarbon transitions`` command as a person runs it (whole process: start-up,
  imports, reading, compute, writing the NetCDF4 and the totals CSV); InVEST / cli is the
  headline ratio (issue 16: at least 20x at 2000^2);
* ``ours``: the same run through the library (benchmarks.ours), which also reports how the
  process splits into imports and run;
* ``floor``: a plain rasterio + numpy read-lookup-write pass writing the same number of
  float32 layers with the same codec, benchmarks.floor;
* ``invest``: natcap.invest 3.20.2 with the same settings, when its Python exists and the size
  is at most ``--invest-max-size`` (default 2000; InVEST needs ~30 min at 8000^2).

Every measurement but InVEST's is repeated ``--repeats`` times (default 3) and the median is
reported (the machine is shared: the load average before and after is recorded); peak RSS is
each child's own (``wait4``). It prints a table (wall time, pixels per second, peak RSS, ratios)
and writes the figures as JSON (``--json``). The environment should hold compiled bytecode
(``scripts/bootstrap.sh`` compiles it): without it every process compiles its imports, and the
benchmark warns. Generated rasters and outputs are deleted unless ``--keep``; check
``df -h`` before asking for 16000^2 (inputs ~0.3 GB, outputs ~3 GB, InVEST's workspace far more).
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
from pathlib import Path

from benchmarks.generate import generate

HERE = Path(__file__).resolve().parent
DEFAULT_INVEST_PYTHON = Path("/work/peers/invest-venv/bin/python")


def _child(
    command: list[str], *, env: dict[str, str] | None = None, json_out: bool = True
) -> dict[str, float]:
    """Run one child process; wall time and the child's own peak RSS (``wait4``), plus its JSON."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr[-4000:]}")
    result = json.loads(stdout.strip().splitlines()[-1]) if json_out else {}
    result["process_seconds"] = wall
    result["process_peak_rss_mb"] = usage.ru_maxrss / 1024
    result.setdefault("peak_rss_mb", result["process_peak_rss_mb"])
    result.setdefault("seconds", wall)
    return result


def _median(runs: list[dict]) -> dict:
    """The run with the median process time, with every run's process time beside it."""
    ordered = sorted(runs, key=lambda r: r["process_seconds"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["process_seconds_runs"] = [r["process_seconds"] for r in runs]
    chosen["process_seconds"] = statistics.median(r["process_seconds"] for r in runs)
    chosen["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    return chosen


def _bytecode_missing() -> bool:
    """True when pandas (a proxy for the environment) has no compiled bytecode."""
    import importlib.util

    spec = importlib.util.find_spec("pandas")
    if spec is None or spec.origin is None:
        return False
    cached = importlib.util.cache_from_source(spec.origin)
    return not Path(cached).exists()


def _cli_command(folder: Path, output: Path) -> list[str]:
    return [
        str(Path(sys.executable).with_name("bluecarbon")),
        "transitions",
        "--snapshots",
        str(folder / "snapshots.csv"),
        "--biophysical",
        str(folder / "biophysical_table.csv"),
        "--transitions",
        str(folder / "transitions.csv"),
        "--analysis-year",
        "2050",
        "--price",
        "15",
        "--inflation-rate",
        "2",
        "--discount-rate",
        "3",
        "--output",
        str(output),
    ]


def run_size(
    size: int, work: Path, *, invest_python: Path | None, invest_max: int, keep: bool, repeats: int
) -> dict:
    folder = work / f"size_{size}"
    start = time.perf_counter()
    generate(folder, size)
    record: dict = {"size": size, "pixels": size * size, "generate_seconds": time.perf_counter() - start}
    record["load_average_before"] = os.getloadavg()
    record["repeats"] = repeats
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    cli_runs, ours_runs, floor_runs = [], [], []
    for _ in range(repeats):
        cli_runs.append(_child(_cli_command(folder, folder / "cli.nc"), env=env, json_out=False))
        cli_runs[-1]["output_bytes"] = (folder / "cli.nc").stat().st_size
        (folder / "cli.nc").unlink()
        ours_cmd = ["-m", "benchmarks.ours", "--inputs", str(folder), "--output", str(folder / "ours.nc")]
        ours = _child([sys.executable, *ours_cmd], env=env)
        ours_runs.append(ours)
        (folder / "ours.nc").unlink()
        floor_cmd = ["-m", "benchmarks.floor", "--inputs", str(folder), "--layers", str(ours["layers"])]
        floor = _child([sys.executable, *floor_cmd, "--output", str(folder / "floor.tif")], env=env)
        floor["output_bytes"] = (folder / "floor.tif").stat().st_size
        floor_runs.append(floor)
        (folder / "floor.tif").unlink()
    record["cli"] = _median(cli_runs)
    record["ours"] = _median(ours_runs)
    record["floor"] = _median(floor_runs)
    if invest_python is not None and invest_python.exists() and size <= invest_max:
        workspace = folder / "invest_workspace"
        record["invest"] = _child(
            [
                str(invest_python),
                str(HERE / "invest_run.py"),
                "--inputs",
                str(folder),
                "--workspace",
                str(workspace),
            ]
        )
        shutil.rmtree(workspace, ignore_errors=True)
    record["load_average_after"] = os.getloadavg()
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return record


def _report(records: list[dict]) -> str:
    lines = [
        f"{'size':>7} {'who':>7} {'run s':>9} {'process s':>10} {'Mpx/s':>7} {'peak MB':>8} "
        f"{'vs floor':>9} {'InVEST/this':>12}"
    ]
    for r in records:
        for who in ("cli", "ours", "floor", "invest"):
            if who not in r:
                continue
            m = r[who]
            vs_floor = m["process_seconds"] / r["floor"]["process_seconds"]
            speedup = (
                r["invest"]["process_seconds"] / m["process_seconds"]
                if "invest" in r and who in ("cli", "ours")
                else None
            )
            lines.append(
                f"{r['size']:>7} {who:>7} {m['seconds']:>9.1f} {m['process_seconds']:>10.2f} "
                f"{r['pixels'] / m['process_seconds'] / 1e6:>7.2f} {m['peak_rss_mb']:>8.0f} {vs_floor:>9.2f} "
                f"{'' if speedup is None else f'{speedup:.1f}x':>12}"
            )
        before, after = r["load_average_before"], r["load_average_after"]
        lines.append(
            f"{'':>7} load average (1/5/15 min) before {before[0]:.2f}/{before[1]:.2f}/{before[2]:.2f}, "
            f"after {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f}; "
            f"median of {r['repeats']} runs (InVEST: one)"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000, 16000])
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where inputs and outputs go (default: a temp dir)"
    )
    parser.add_argument("--invest-python", type=Path, default=DEFAULT_INVEST_PYTHON)
    parser.add_argument("--invest-max-size", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep generated rasters")
    parser.add_argument("--repeats", type=int, default=3, help="runs of ours and the floor (median)")
    ns = parser.parse_args()
    if _bytecode_missing():
        print(
            "warning: the environment has no compiled bytecode; every process compiles its imports "
            "(run scripts/bootstrap.sh, or python -m compileall on site-packages)",
            file=sys.stderr,
        )
    work = ns.workdir or Path(tempfile.mkdtemp(prefix="bluecarbon-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    records = []
    for size in ns.sizes:
        records.append(
            run_size(
                size,
                work,
                invest_python=ns.invest_python,
                invest_max=ns.invest_max_size,
                keep=ns.keep,
                repeats=ns.repeats,
            )
        )
        print(_report(records[-1:]), flush=True)
    print("\n" + _report(records))
    if ns.json:
        ns.json.write_text(json.dumps(records, indent=1) + "\n")
    if ns.workdir is None and not ns.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
