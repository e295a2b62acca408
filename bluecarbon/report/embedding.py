"""The saved form of a statement and how renderings carry it: the one definition both the
renderer (which embeds it) and the reader (which checks it) use.

Why apart from :mod:`~bluecarbon.report.documents`: the reader compares a page with a fresh
rendering, so it needs the renderer; the renderer needs only the saved JSON text, its digest
and the embedding rules. With those here, the imports run one way (documents -> render ->
embedding) instead of in a circle.

The saved JSON text (:func:`statement_text`): UTF-8, keys in the order the statement builds
them, one-space indent, trailing newline. Its sha256 is what the pages print; the
``integrity.sha256`` inside the statement is over the canonical JSON without the integrity block
(:data:`bluecarbon.canonical.SIGNED`, the bytes the signature covers).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Name of the statement attached to PDF renderings.
PDF_ATTACHMENT = "statement.json"
#: ``id`` of the HTML script block holding the statement.
HTML_BLOCK_ID = "bluecarbon-statement"
#: PDF document-information key naming the engine that drew the pages.
PDF_ENGINE_KEY = "/BluecarbonRenderer"


def statement_text(doc: Mapping[str, Any]) -> str:
    """The statement as saved to a ``.json`` file."""
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def statement_file_sha256(doc: Mapping[str, Any]) -> str:
    """sha256 of :func:`statement_text`: the digest HTML and PDF renderings print."""
    return hashlib.sha256(statement_text(doc).encode("utf-8")).hexdigest()


def html_embedding(doc: Mapping[str, Any]) -> str:
    """The statement text safe inside a ``<script>`` element (``<``, ``>`` and ``&`` escaped
    as JSON ``\\u`` escapes, so the parsed statement is identical)."""
    return statement_text(doc).replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def attach_statement(pdf_path: Path, doc: Mapping[str, Any], engine: str) -> None:
    """Attach the statement to a rendered PDF (rewritten in place) and name its engine."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(pdf_path))
    writer.add_attachment(PDF_ATTACHMENT, statement_text(doc).encode("utf-8"))
    writer.add_metadata({PDF_ENGINE_KEY: engine, "/Title": "bluecarbon sink statement"})
    buffer = io.BytesIO()
    writer.write(buffer)
    Path(pdf_path).write_bytes(buffer.getvalue())
