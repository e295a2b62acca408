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

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bluecarbon")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "open_catalog"]


def __getattr__(name: str) -> object:
    # Lazy: importing bluecarbon must stay cheap (the CLI imports it for --help).
    if name == "open_catalog":
        from bluecarbon.catalog.api import open_catalog

        return open_catalog
    raise AttributeError(f"module 'bluecarbon' has no attribute {name!r}")
