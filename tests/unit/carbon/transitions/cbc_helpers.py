"""Small InVEST-format inputs built in code for the carbon-engine tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from rasterio.transform import from_origin

from bluecarbon.carbon.transitions.tables import BIOPHYSICAL_COLUMNS, ClassTable, class_table_from_frame
from bluecarbon.vocab import CarbonBasis


def class_table(rows: Sequence[Mapping[str, object]], *, basis: CarbonBasis = CarbonBasis.CO2E) -> ClassTable:
    """Rows with lucode, lulc-class and any numeric columns (missing ones are 0)."""
    frame = pd.DataFrame([{c: 0.0 for c in BIOPHYSICAL_COLUMNS} | dict(r) for r in rows])
    return class_table_from_frame(frame, basis=basis, source="test")


def write_tables(
    folder: Path, classes: Sequence[Mapping[str, object]], matrix: Mapping[str, Mapping[str, str]]
) -> None:
    names = [str(r["lulc-class"]) for r in classes]
    frame = pd.DataFrame([{c: 0.0 for c in BIOPHYSICAL_COLUMNS} | dict(r) for r in classes])
    frame[["lucode", "lulc-class", *BIOPHYSICAL_COLUMNS]].to_csv(folder / "biophysical.csv", index=False)
    lines = ["lulc-class," + ",".join(names)]
    for a in names:
        lines.append(a + "," + ",".join(matrix.get(a, {}).get(b, "") for b in names))
    (folder / "transitions.csv").write_text("\n".join(lines) + "\n")


def write_snapshots(
    folder: Path, maps: Mapping[int, np.ndarray], *, nodata: int = 255, pixel: float = 10.0, epsg: int = 32618
) -> Path:
    rows = ["snapshot_year,raster_path"]
    for year, array in maps.items():
        path = folder / f"lulc_{year}.tif"
        with rasterio.open(
            path,
            "w",
            driver="GTiff",
            width=array.shape[1],
            height=array.shape[0],
            count=1,
            dtype="uint8",
            crs=f"EPSG:{epsg}",
            transform=from_origin(380000.0, 4300000.0, pixel, pixel),
            nodata=nodata,
        ) as dst:
            dst.write(array.astype("uint8"), 1)
        rows.append(f"{year},{path.name}")
    (folder / "snapshots.csv").write_text("\n".join(rows) + "\n")
    return folder / "snapshots.csv"
