"""The practical floor: a plain rasterio + numpy read-lookup-write pass over the same data.

It reads the three snapshots window by window, turns each pixel's three class codes into one
trajectory index, looks ``--layers`` float32 values up in a table and writes them as the bands
of one tiled GeoTIFF with the same codec as bluecarbon's NetCDF (deflate level 1, 512 x 512
chunks). Single-threaded, no dask, no model: whatever bluecarbon does on top is overhead to
be measured against this.

    python -m benchmarks.floor --inputs DIR --layers 30 --output DIR/floor.tif
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

WINDOW = 1024


def floor_pass(inputs: Path, layers: int, output: Path) -> dict[str, float]:
    start = time.perf_counter()
    paths = sorted(inputs.glob("lulc_*.tif"))
    sources = [rasterio.open(p) for p in paths]
    width, height = sources[0].width, sources[0].height
    n_codes = 9 ** len(paths)  # 8 classes + nodata per snapshot
    table = np.random.default_rng(0).random((layers, n_codes)).astype(np.float32)
    lut = np.full(256, 8, dtype=np.int64)
    lut[:8] = np.arange(8)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": layers,
        "dtype": "float32",
        "crs": sources[0].crs,
        "transform": sources[0].transform,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "zlevel": 1,
        "interleave": "band",
        "BIGTIFF": "YES",
        "nodata": float("nan"),
    }
    with rasterio.open(output, "w", **profile) as dst:
        for row in range(0, height, WINDOW):
            for col in range(0, width, WINDOW):
                win = Window(col, row, min(WINDOW, width - col), min(WINDOW, height - row))
                code = np.zeros((win.height, win.width), dtype=np.int64)
                for k, src in enumerate(sources):
                    code += lut[src.read(1, window=win)] * 9**k
                for band in range(layers):
                    dst.write(table[band][code], band + 1, window=win)
    for src in sources:
        src.close()
    return {
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--layers", type=int, required=True)
    parser.add_argument("--output", type=Path, required=True)
    ns = parser.parse_args()
    print(json.dumps(floor_pass(ns.inputs, ns.layers, ns.output)))


if __name__ == "__main__":
    main()
