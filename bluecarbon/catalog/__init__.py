"""The catalog: STAC files rebuilt from the store, and the researcher-facing Python API."""
