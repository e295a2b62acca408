"""The monitoring pipeline as plain functions: the steps the Prefect flows orchestrate.

Each step takes explicit paths and typed specs, writes its result under a work folder keyed
by its input fingerprint, and returns a small JSON-serialisable record of URIs
(:mod:`~bluecarbon.pipeline.cache`). That is the contract the flows rely on (tasks pass URIs,
not arrays) and what makes reruns incremental: a step whose fingerprint already has a finished
result returns it without recomputing.

One module per step: ``soil`` (cores), ``field`` (biomass plots, harvests), ``habitat``,
``carbon``, ``parcels``; ``inputs`` checks and names raw files; ``study`` reads study files;
``assemble`` decides what a release holds; ``report`` writes the run's summaries.
"""
