"""The monitoring pipeline as plain functions: the steps the Prefect flows orchestrate.

Each step takes explicit paths and small specs, writes its result under a work folder keyed
by its input fingerprint, and returns a small JSON-serialisable record of URIs. That is the
contract the flows rely on (tasks pass URIs, not arrays) and what makes reruns incremental:
a step whose fingerprint already has a finished result returns it without recomputing.
"""
