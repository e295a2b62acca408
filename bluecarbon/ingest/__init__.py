"""Ingest: read raw inputs into validated, unit-carrying, lazily evaluated objects.

Rasters become dask-backed xarray cubes; vectors become GeoDataFrames on a known CRS;
survey tables become validated DataFrames. Every reader names the file (and row, column or
band) in its errors.
"""
