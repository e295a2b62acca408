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

The ``random_small`` run first writes a seeded, deliberately awkward scenario into
``<out>/random_small/`` (every class with non-zero half-lives and accumulation, random
transition cells, four unevenly spaced snapshots, one pixel nodata in a single snapshot) and
records every output *per pixel*, so the compatibility mode is checked pixel by pixel where
InVEST's quirks (half-life switch, emit-or-accumulate, re-disturbance) all occur.
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


RANDOM_SEED = 20261127
RANDOM_CLASSES = ("alpha", "beta", "gamma", "delta", "epsilon")
RANDOM_YEARS = (2000, 2003, 2011, 2012)
RANDOM_SHAPE = (12, 10)


def write_random_scenario(folder: Path) -> dict[str, object]:
    """Seeded CBC inputs exercising InVEST's transition bookkeeping; returns the run settings."""
    from osgeo import gdal, osr

    rng = np.random.default_rng(RANDOM_SEED)
    folder.mkdir(parents=True, exist_ok=True)
    columns = [
        "lucode",
        "lulc-class",
        "biomass-initial",
        "soil-initial",
        "litter-initial",
        "biomass-half-life",
        "biomass-low-impact-disturb",
        "biomass-med-impact-disturb",
        "biomass-high-impact-disturb",
        "biomass-yearly-accumulation",
        "soil-half-life",
        "soil-low-impact-disturb",
        "soil-med-impact-disturb",
        "soil-high-impact-disturb",
        "soil-yearly-accumulation",
        "litter-yearly-accumulation",
    ]
    lines = [",".join(columns)]
    for code, name in enumerate(RANDOM_CLASSES):
        row = [
            code,
            name,
            round(rng.uniform(0, 60), 2),
            round(rng.uniform(50, 900), 1),
            round(rng.uniform(0, 5), 2),
            round(rng.uniform(0.2, 15), 2),
            *[round(v, 2) for v in np.sort(rng.uniform(0, 1, 3))],
            round(rng.uniform(0, 3), 2),
            round(rng.uniform(0.5, 10), 2),
            *[round(v, 2) for v in np.sort(rng.uniform(0, 1, 3))],
            round(rng.uniform(0, 8), 2),
            round(rng.uniform(0, 0.5), 2),
        ]
        if code == 4:  # one class with zero half-lives: InVEST reads them as "no emissions"
            row[5] = 0
            row[10] = 0
        lines.append(",".join(str(v) for v in row))
    (folder / "biophysical_table.csv").write_text("\n".join(lines) + "\n")
    cells = ["accum", "low-impact-disturb", "med-impact-disturb", "high-impact-disturb", "NCC", ""]
    matrix = ["lulc-class," + ",".join(RANDOM_CLASSES)]
    for name in RANDOM_CLASSES:
        matrix.append(
            name + "," + ",".join(cells[int(i)] for i in rng.integers(0, len(cells), len(RANDOM_CLASSES)))
        )
    (folder / "transitions.csv").write_text("\n".join(matrix) + "\n")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32618)
    snapshot_lines = ["snapshot_year,raster_path"]
    base = rng.integers(0, len(RANDOM_CLASSES), RANDOM_SHAPE)
    for k, year in enumerate(RANDOM_YEARS):
        change = rng.random(RANDOM_SHAPE) < 0.45
        base = np.where(change, rng.integers(0, len(RANDOM_CLASSES), RANDOM_SHAPE), base)
        array = base.astype(np.uint8)
        array[0, 0] = 255  # nodata in every snapshot
        if k == 2:
            array[5, 5] = 255  # nodata in one snapshot only
        path = folder / f"lulc_{year}.tif"
        ds = gdal.GetDriverByName("GTiff").Create(
            str(path), RANDOM_SHAPE[1], RANDOM_SHAPE[0], 1, gdal.GDT_Byte
        )
        ds.SetGeoTransform((380000.0, 10.0, 0.0, 4300000.0, 0.0, -10.0))
        ds.SetProjection(srs.ExportToWkt())
        band = ds.GetRasterBand(1)
        band.SetNoDataValue(255)
        band.WriteArray(array)
        ds = None
        snapshot_lines.append(f"{year},{path.name}")
    (folder / "snapshots.csv").write_text("\n".join(snapshot_lines) + "\n")
    prices = ["year,price"] + [
        f"{y},{round(float(p), 4)}" for y, p in zip(range(2000, 2031), rng.uniform(5, 50, 31), strict=True)
    ]
    (folder / "price_table.csv").write_text("\n".join(prices) + "\n")
    return {
        "analysis_year": 2030,
        "do_economic_analysis": True,
        "use_price_table": True,
        "price_table_path": "price_table.csv",
        "discount_rate": 4.0,
    }


def raster_values(path: Path) -> list[list[float | None]]:
    from osgeo import gdal

    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    values = band.ReadAsArray().astype(np.float64)
    nodata = band.GetNoDataValue()
    return [
        [None if (nodata is not None and v == nodata) or not np.isfinite(v) else float(v) for v in row]
        for row in values
    ]


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


def run_peer(
    name: str, inputs: Path, *, settings: dict[str, object] | None = None, per_pixel: bool = False
) -> dict[str, object]:
    import natcap.invest
    from natcap.invest.coastal_blue_carbon import coastal_blue_carbon

    settings = dict(settings if settings is not None else RUNS[name])
    declared = dict(settings)
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
        pixels = (
            {p.stem: raster_values(p) for p in sorted((out / "output").glob("*.tif"))} if per_pixel else None
        )
        years = sorted(int(p.stem.rsplit("-", 1)[1]) for p in (out / "output").glob("carbon-stock-at-*.tif"))
        pools = {}
        for pool in ("soil", "biomass"):
            for year in years:
                path = out / "intermediate" / f"stocks-{pool}-{year}.tif"
                if path.exists():
                    pools[path.stem] = raster_sum(path)
    record = {
        "run": name,
        "peer": f"natcap.invest {natcap.invest.__version__} coastal_blue_carbon",
        "settings": {k: v for k, v in declared.items() if k != "price_table_path"}
        | ({"price_table": declared["price_table_path"]} if "price_table_path" in declared else {}),
        "inputs": str(inputs) + " (snapshots.csv, biophysical_table.csv, transitions.csv)",
        "seconds": round(seconds, 2),
        "outputs": outputs,
        "intermediate_stocks": pools,
    }
    if pixels is not None:
        record["pixels"] = pixels
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=Path, required=True, help="folder with the shared CBC inputs")
    parser.add_argument("--out", type=Path, required=True, help="folder for the <run>.json fixtures")
    parser.add_argument("--runs", nargs="*", default=[*RUNS, "random_small"], choices=[*RUNS, "random_small"])
    ns = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ns.out.mkdir(parents=True, exist_ok=True)
    for name in ns.runs:
        if name == "random_small":
            folder = ns.out / "random_small"
            record = run_peer(name, folder.resolve(), settings=write_random_scenario(folder), per_pixel=True)
            record["inputs"] = "tests/fixtures/invest_parity/random_small (written by write_random_scenario)"
        else:
            record = run_peer(name, ns.inputs.resolve())
            record["inputs"] = "data/raw/peers/invest_coastal_blue_carbon"
        target = ns.out / f"{name}.json"
        target.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        print(f"{name}: {len(record['outputs'])} outputs in {record['seconds']} s -> {target}")


if __name__ == "__main__":
    main()
