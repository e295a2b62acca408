"""Seeded generator of large land-cover snapshots for the shared CBC tables.

The landscape keeps the classes (0..7) and the transition rules of
``data/raw/peers/invest_coastal_blue_carbon``: a coarse random patch field (8 x 8 pixel cells,
so the maps have realistic patches rather than salt-and-pepper noise) with 10 % pixel noise,
then per-cell transitions between snapshots drawn from the scenario of that folder's README
(restoration, reclamation, erosion, marsh migration, ...). A north-east notch is nodata in
every snapshot. Generation runs block by block with a seed per block, so any size is produced
in bounded memory and the result does not depend on the block order.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

SEED = 20261127
YEARS = (2010, 2020, 2030)
ANALYSIS_YEAR = 2050  # 40 years after the first snapshot
NODATA = 255
CELL = 8
BLOCK = 1024
SHARED = Path(__file__).resolve().parents[1] / "data" / "raw" / "peers" / "invest_coastal_blue_carbon"

# Class shares of the first snapshot (open water, seagrass, salt marsh, reef, tidal flat,
# upland, developed, dredged channel).
SHARES = np.array([0.30, 0.20, 0.20, 0.02, 0.08, 0.12, 0.06, 0.02])
# (from, to, probability per cell per snapshot step), after the shared scenario.
CHANGES = (
    (0, 1, 0.03), (0, 7, 0.01), (1, 0, 0.03), (1, 7, 0.01), (2, 4, 0.04),
    (2, 6, 0.03), (4, 3, 0.01), (4, 7, 0.005), (5, 2, 0.06), (3, 4, 0.02),
)  # fmt: skip


def _block(size: int, row0: int, col0: int, rows: int, cols: int) -> list[np.ndarray]:
    """Three snapshots for one block; deterministic from the block's position."""
    rng = np.random.default_rng([SEED, row0, col0])
    crow, ccol = -(-rows // CELL), -(-cols // CELL)
    cells = rng.choice(len(SHARES), size=(crow, ccol), p=SHARES).astype(np.uint8)
    maps = []
    current = cells
    for k in range(len(YEARS)):
        if k:
            nxt = current.copy()
            draw = rng.random(current.shape)
            for frm, to, p in CHANGES:
                nxt = np.where((current == frm) & (draw < p), to, nxt)
                draw = draw - p * (current == frm)
            current = nxt.astype(np.uint8)
        full = np.repeat(np.repeat(current, CELL, axis=0), CELL, axis=1)[:rows, :cols]
        noise = rng.random((rows, cols)) < 0.10
        full = np.where(noise, rng.choice(len(SHARES), size=(rows, cols), p=SHARES), full).astype(np.uint8)
        yy, xx = np.mgrid[row0 : row0 + rows, col0 : col0 + cols]
        notch = (yy < size // 10) & (xx > size - size // 8)
        full[notch] = NODATA
        maps.append(full)
    return maps


def generate(folder: Path, size: int) -> Path:
    """Write ``lulc_<year>.tif`` (size x size, 10 m, EPSG:32618) and the tables; return the snapshot CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:32618",
        "transform": from_origin(380000.0, 4300000.0 + 10.0 * size, 10.0, 10.0),
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    paths = [folder / f"lulc_{year}.tif" for year in YEARS]
    outs = [rasterio.open(p, "w", **profile) for p in paths]
    try:
        for row0 in range(0, size, BLOCK):
            for col0 in range(0, size, BLOCK):
                rows, cols = min(BLOCK, size - row0), min(BLOCK, size - col0)
                for dst, array in zip(outs, _block(size, row0, col0, rows, cols), strict=True):
                    dst.write(array, 1, window=Window(col0, row0, cols, rows))
    finally:
        for dst in outs:
            dst.close()
    for name in ("biophysical_table.csv", "transitions.csv", "price_table.csv"):
        shutil.copy(SHARED / name, folder / name)
    csv = folder / "snapshots.csv"
    csv.write_text(
        "snapshot_year,raster_path\n" + "".join(f"{y},{p.name}\n" for y, p in zip(YEARS, paths, strict=True))
    )
    return csv
