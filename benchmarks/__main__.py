"""Scale benchmark of the transition engine: ``python -m benchmarks [--sizes 2000 8000 16000]``.

For each size (pixels per side) it generates seeded snapshots (benchmarks.generate: three
snapshots 2010/2020/2030, the shared CBC tables, analysis year 2050 = 40 years after the first
snapshot), then runs, each in its own process so that peak memory is the process's own:

* ``ours``: bluecarbon's transitions run (NetCDF4 + totals CSV), benchmarks.ours;
* ``floor``: a plain rasterio + numpy read-lookup-write pass writing the same number of
  float32 layers with the same codec, benchmarks.floor;
* ``invest``: natcap.invest 3.20.2 with the same settings, when its Python exists and the size
  is at most ``--invest-max-size`` (default 2000; InVEST needs ~30 min at 8000^2).

It prints a table (wall time, pixels per second, peak RSS, ratios) and writes the figures as
JSON (``--json``). Generated rasters and outputs are deleted unless ``--keep``; check
``df -h`` before asking for 16000^2 (inputs ~0.3 GB, outputs ~3 GB, InVEST's workspace far more).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.generate import generate

HERE = Path(__file__).resolve().parent
DEFAULT_INVEST_PYTHON = Path("/work/peers/invest-venv/bin/python")


def _child(command: list[str], *, env: dict[str, str] | None = None) -> dict[str, float]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = wall
    return result


def run_size(size: int, work: Path, *, invest_python: Path | None, invest_max: int, keep: bool) -> dict:
    folder = work / f"size_{size}"
    start = time.perf_counter()
    generate(folder, size)
    record: dict = {"size": size, "pixels": size * size, "generate_seconds": time.perf_counter() - start}
    record["load_average_before"] = os.getloadavg()[0]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    ours = _child(
        [
            sys.executable,
            "-m",
            "benchmarks.ours",
            "--inputs",
            str(folder),
            "--output",
            str(folder / "ours.nc"),
        ],
        env=env,
    )
    record["ours"] = ours
    (folder / "ours.nc").unlink()
    record["floor"] = _child(
        [sys.executable, "-m", "benchmarks.floor", "--inputs", str(folder), "--layers", str(ours["layers"]),
         "--output", str(folder / "floor.tif")],
        env=env,
    )  # fmt: skip
    record["floor"]["output_bytes"] = (folder / "floor.tif").stat().st_size
    (folder / "floor.tif").unlink()
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
    record["load_average_after"] = os.getloadavg()[0]
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return record


def _report(records: list[dict]) -> str:
    lines = [
        f"{'size':>7} {'who':>7} {'wall s':>9} {'process s':>10} {'Mpx/s':>7} {'peak MB':>8} "
        f"{'vs floor':>9} {'InVEST/ours':>12}"
    ]
    for r in records:
        for who in ("ours", "floor", "invest"):
            if who not in r:
                continue
            m = r[who]
            vs_floor = m["process_seconds"] / r["floor"]["process_seconds"]
            speedup = (
                r["invest"]["process_seconds"] / m["process_seconds"]
                if "invest" in r and who == "ours"
                else None
            )
            lines.append(
                f"{r['size']:>7} {who:>7} {m['seconds']:>9.1f} {m['process_seconds']:>10.1f} "
                f"{r['pixels'] / m['process_seconds'] / 1e6:>7.2f} {m['peak_rss_mb']:>8.0f} {vs_floor:>9.2f} "
                f"{'' if speedup is None else f'{speedup:.1f}x':>12}"
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
    ns = parser.parse_args()
    work = ns.workdir or Path(tempfile.mkdtemp(prefix="bluecarbon-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    records = []
    for size in ns.sizes:
        records.append(
            run_size(size, work, invest_python=ns.invest_python, invest_max=ns.invest_max_size, keep=ns.keep)
        )
        print(_report(records[-1:]), flush=True)
    print("\n" + _report(records))
    if ns.json:
        ns.json.write_text(json.dumps(records, indent=1) + "\n")
    if ns.workdir is None and not ns.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
