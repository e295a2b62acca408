"""Sink statements for financiers: one document per parcel and release.

JSON is the source of truth (:mod:`bluecarbon.report.statement`, schema in
``statement.schema.json``); HTML and PDF render from it (:mod:`bluecarbon.report.render`);
:func:`bluecarbon.report.statement.verify_statement` recomputes a statement from its
release and detects any edit.
"""
