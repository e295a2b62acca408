"""Small test factories: reflectance cubes with band metadata, random dask chunkings, and a
scheduler that fails the test if anything computes (to prove functions stay lazy)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import dask
import numpy as np
import xarray as xr
from hypothesis import strategies as st

#: Sentinel-2 common names and centre wavelengths used by the factories (nm).
S2 = {
    "blue": ("B02", 492.4),
    "green": ("B03", 559.8),
    "red": ("B04", 664.6),
    "rededge2": ("B06", 740.5),
    "nir": ("B08", 832.8),
    "nir08": ("B8A", 864.7),
    "swir16": ("B11", 1613.7),
}


def make_cube(values: Mapping[str, np.ndarray | float], *, shape: tuple[int, ...] = (1, 1)) -> xr.DataArray:
    """A ``(band, y, x)`` cube with Sentinel-2 labels, common names and wavelengths."""
    names = list(values)
    data = np.stack([np.broadcast_to(np.asarray(values[n], dtype="float64"), shape) for n in names])
    dims = ("band", "y", "x")[: 1 + len(shape)] if len(shape) <= 2 else ("band", "time", "y", "x")
    coords: dict[str, object] = {
        "band": [S2[n][0] for n in names],
        "common_name": ("band", names),
        "center_wavelength": ("band", [S2[n][1] for n in names]),
    }
    return xr.DataArray(data, dims=dims, coords=coords)


@st.composite
def chunkings(draw: st.DrawFn, shape: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """Random dask chunk tuples for ``shape`` (every chunk at least one element)."""
    out = []
    for size in shape:
        cuts = sorted(draw(st.sets(st.integers(1, max(1, size - 1)), max_size=min(3, size - 1))))
        bounds = [0, *[c for c in cuts if c < size], size]
        out.append(tuple(b - a for a, b in itertools.pairwise(bounds)))
    return tuple(out)


def _refuse(*args: object, **kwargs: object) -> object:
    raise AssertionError("dask computed inside a function that must stay lazy")


@contextmanager
def raise_on_compute() -> Iterator[None]:
    """Any dask compute inside this block fails the test."""
    with dask.config.set(scheduler=_refuse):
        yield
