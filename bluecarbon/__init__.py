"""bluecarbon: monitoring and a versioned database for marine (blue) carbon sinks.

The package is pure, typed compute plus the versioned store; it never imports Prefect
(orchestration lives in the top-level ``flows`` package). Sub-packages:

- ``bluecarbon.ingest``: read and validate rasters, vectors and survey tables;
- ``bluecarbon.habitat``: spectral indices, classification, accuracy and area estimates;
- ``bluecarbon.carbon``: cores, biomass, shellfish, gridded stocks and transitions,
  uncertainty and value;
- ``bluecarbon.store``: releases in Icechunk + Delta Lake with provenance;
- ``bluecarbon.catalog``: STAC catalog and the researcher API (:func:`open_catalog`);
- ``bluecarbon.report``: sink statements for financiers.
"""

from __future__ import annotations

import atexit
import sys
import warnings
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bluecarbon")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "open_catalog"]


def _close_cached_files() -> None:
    """Close the files xarray still holds open, before the interpreter tears modules down.

    A rasterio dataset (opened lazily through rioxarray) that is still open at exit prints an
    empty "Error in sys.excepthook" once per file during finalization (rasterio#3563,
    rioxarray#929). atexit hooks run before that teardown, so closing the cache here avoids it.
    """
    file_manager = sys.modules.get("xarray.backends.file_manager")
    if file_manager is not None:
        file_manager.FILE_CACHE.clear()


atexit.register(_close_cached_files)

# rasterio's in-memory datasets (rasterize, geometry_mask, reproject between arrays) read their
# geotransform before the one passed in is set, and warn "Dataset has no geotransform"
# spuriously (odc-geo#131); bluecarbon always passes an explicit transform. The filter is
# process-wide and narrow (this message, from these two modules) because
# warnings.catch_warnings is not thread-safe and these calls run in dask and Prefect threads.
warnings.filterwarnings("ignore", message="Dataset has no geotransform", module=r"rasterio\.(features|warp)")


def __getattr__(name: str) -> object:
    # Lazy: importing bluecarbon must stay cheap (the CLI imports it for --help).
    if name == "open_catalog":
        from bluecarbon.catalog.api import open_catalog

        return open_catalog
    raise AttributeError(f"module 'bluecarbon' has no attribute {name!r}")
