"""Run the peer model, natcap.invest 3.20.2 Coastal Blue Carbon, and record the sums of its outputs.

The sums are the parity fixture (``tests/fixtures/invest_parity/<run>.json``) that the test suite
checks ``bluecarbon``'s ``invest_compat`` mode against. CI does not install the peer, so this
script is run by hand and its output committed. It deliberately imports nothing from
``bluecarbon``: it runs in the peer's own virtual environment (Python 3.11, GDAL bindings)::

    /work/peers/invest-venv/bin/python benchmarks/invest_parity.py \\
        --inputs data/raw/peers/invest_coastal_blue_carbon --out tests/fixtures/invest_parity

Each run is one ``coastal_blue_carbon.execute`` call in a fresh temporary workspace. For every
GeoTIFF in ``output/`` (and the per-pool ``intermediate/stocks-*`` at the output years) the
fixture holds the float64 sum and the count of valid (not nodata) pixels.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

RUNS: dict[str, dict[str, object]] = {
    # The brief's run: analysis year 2050, price 15, inflation 2 %, discount 3 %.
    "valuation_2050": {
        "analysis_year": 2050,
        "do_economic_analysis": True,
        "use_price_table": False,
        "price": 15.0,
        "inflation_rate": 2.0,
        "discount_rate": 3.0,
    },
    # No valuation and no analysis year (InVEST then stops at the last snapshot).
    "no_valuation": {"analysis_year": None, "do_economic_analysis": False},
    # The shipped price table, analysis year 2050, discount 3 %.
    "price_table_2050": {
        "analysis_year": 2050,
        "do_economic_analysis": True,
        "use_price_table": True,
        "price_table_path": "price_table.csv",
        "discount_rate": 3.0,
    },
}


def raster_sum(path: Path) -> dict[str, float | int]:
    from osgeo import gdal

    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    values = band.ReadAsArray().astype(np.float64)
    nodata = band.GetNoDataValue()
    valid = np.isfinite(values)
    if nodata is not None:
        valid &= values != nodata
    return {
        "sum": float(values[valid].sum()),
        "valid_pixels": int(valid.sum()),
        "min": float(values[valid].min()) if valid.any() else float("nan"),
        "max": float(values[valid].max()) if valid.any() else float("nan"),
    }


def run_peer(name: str, inputs: Path) -> dict[str, object]:
    import natcap.invest
    from natcap.invest.coastal_blue_carbon import coastal_blue_carbon

    settings = dict(RUNS[name])
    if "price_table_path" in settings:
        settings["price_table_path"] = str(inputs / str(settings["price_table_path"]))
    with tempfile.TemporaryDirectory(prefix=f"cbc-{name}-") as workspace:
        args = {
            "workspace_dir": workspace,
            "results_suffix": "",
            "n_workers": -1,
            "landcover_snapshot_csv": str(inputs / "snapshots.csv"),
            "biophysical_table_path": str(inputs / "biophysical_table.csv"),
            "landcover_transitions_table": str(inputs / "transitions.csv"),
            **settings,
        }
        start = time.perf_counter()
        coastal_blue_carbon.execute(args)
        seconds = time.perf_counter() - start
        out = Path(workspace)
        outputs = {p.stem: raster_sum(p) for p in sorted((out / "output").glob("*.tif"))}
        years = sorted(int(p.stem.rsplit("-", 1)[1]) for p in (out / "output").glob("carbon-stock-at-*.tif"))
        pools = {}
        for pool in ("soil", "biomass"):
            for year in years:
                path = out / "intermediate" / f"stocks-{pool}-{year}.tif"
                if path.exists():
                    pools[path.stem] = raster_sum(path)
    return {
        "run": name,
        "peer": f"natcap.invest {natcap.invest.__version__} coastal_blue_carbon",
        "settings": {k: v for k, v in settings.items() if k != "price_table_path"}
        | ({"price_table": RUNS[name]["price_table_path"]} if "price_table_path" in RUNS[name] else {}),
        "inputs": "data/raw/peers/invest_coastal_blue_carbon (snapshots.csv, biophysical_table.csv, transitions.csv)",
        "seconds": round(seconds, 2),
        "outputs": outputs,
        "intermediate_stocks": pools,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=Path, required=True, help="folder with the shared CBC inputs")
    parser.add_argument("--out", type=Path, required=True, help="folder for the <run>.json fixtures")
    parser.add_argument("--runs", nargs="*", default=list(RUNS), choices=list(RUNS))
    ns = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ns.out.mkdir(parents=True, exist_ok=True)
    for name in ns.runs:
        record = run_peer(name, ns.inputs.resolve())
        target = ns.out / f"{name}.json"
        target.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        print(f"{name}: {len(record['outputs'])} outputs in {record['seconds']} s -> {target}")


if __name__ == "__main__":
    main()
