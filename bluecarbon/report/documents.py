"""One statement, three renderings: the JSON file, and HTML and PDF pages made from it.

Why the renderings carry the JSON. A bank receives whichever file the borrower sends. If the
HTML or PDF were only pictures of the figures, an edited page could not be told from an
issued one. So each rendering embeds the exact statement (HTML: a ``<script
type="application/json">`` block; PDF: an attached ``statement.json``) and prints the sha256 of
the saved JSON text. Checking a rendering is then two steps: the embedded statement is checked
like a JSON file (integrity hash, issuer signature, figures recomputed from the release), and
the visible page is compared with what the embedded statement renders to, so an edited figure
on the page is reported even when the embedded JSON is intact.

The saved JSON text and the embedding rules are defined once, in
:mod:`bluecarbon.report.embedding` (the renderer uses them too); this module reads files and
compares their pages with fresh renderings, so it imports the renderer, never the reverse.

How pages are compared. HTML: byte for byte with a fresh rendering; when only the map image
differs (it depends on the installed matplotlib), that is a warning, not a failure. PDF: every
number printed on the pages, counted, must equal the numbers of a fresh rendering's text
(Chromium prints the HTML; fpdf2 writes its own lines); whitespace is ignored because PDF text
extraction spaces glyphs and breaks lines anywhere. Layout is not compared.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

from bluecarbon.errors import BlueCarbonError
from bluecarbon.report.embedding import (
    HTML_BLOCK_ID,
    PDF_ATTACHMENT,
    PDF_ENGINE_KEY,
    statement_file_sha256,
)
from bluecarbon.report.render import pdf_lines, render_html

Kind = Literal["json", "html", "pdf"]

_BLOCK = re.compile(
    rf'<script type="application/json" id="{HTML_BLOCK_ID}">(?P<json>.*?)</script>', re.DOTALL
)
_IMG = re.compile(r'src="data:image/png;base64,[A-Za-z0-9+/=]*"')
#: A printed figure: digits with optional thousands separators and decimals, optional sign.
_NUMBER = re.compile(r"-?\d(?:[\d,.]*\d)?")


class StatementFileError(BlueCarbonError):
    """A file is not a statement or one of its renderings."""


@dataclass(frozen=True)
class StatementFile:
    """A statement read from a file, with what comparing its pages found."""

    path: Path
    kind: Kind
    doc: dict[str, Any]
    #: sha256 of the file's statement as saved JSON (what the pages print).
    json_sha256: str
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def kind_of(path: Path) -> Kind:
    suffix = path.suffix.lower()
    if suffix in (".json", ".html", ".htm", ".pdf"):
        return "html" if suffix == ".htm" else suffix[1:]  # type: ignore[return-value]
    raise StatementFileError(
        f"{path}: expected a statement as .json, .html or .pdf, got {suffix or 'no suffix'!r}"
    )


def read_statement_file(path: Path, *, check_pages: bool = True) -> StatementFile:
    """Read a statement from ``path`` (``.json``, ``.html`` or ``.pdf``); for renderings, also
    compare the visible page with a fresh rendering of the embedded statement."""
    path = Path(path)
    kind = kind_of(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StatementFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if kind == "json":
        doc = _parse(raw.decode("utf-8", errors="replace"), f"{path}")
        return StatementFile(path, kind, doc, hashlib.sha256(raw).hexdigest())
    if kind == "html":
        text = raw.decode("utf-8", errors="replace")
        match = _BLOCK.search(text)
        if match is None:
            raise StatementFileError(
                f"{path}: no embedded statement (script block id={HTML_BLOCK_ID!r}); it is not a "
                "bluecarbon statement page or the block was removed"
            )
        doc = _parse(match.group("json"), f"{path} (embedded statement)")
        problems, warnings = _compare_html(text, doc) if check_pages else ((), ())
        return StatementFile(path, kind, doc, statement_file_sha256(doc), problems, warnings)
    doc, engine, page_text = _read_pdf(raw, path)
    problems, warnings = _compare_pdf(page_text, doc, engine) if check_pages else ((), ())
    return StatementFile(path, kind, doc, statement_file_sha256(doc), problems, warnings)


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise StatementFileError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise StatementFileError(f"{where}: not a statement (a JSON object is expected)")
    return doc


# ---------------------------------------------------------------------------------- HTML
def _compare_html(text: str, doc: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:

    fresh = render_html(doc)
    if fresh == text:
        return (), ()
    if _IMG.sub("", fresh) == _IMG.sub("", text):
        return (), (
            "the map image differs from this installation's rendering (it depends on the "
            "matplotlib version); every text and figure on the page matches the statement",
        )
    return (_first_difference(text, fresh, "the page"),), ()


def _first_difference(given: str, fresh: str, what: str) -> str:
    a, b = visible_text(given).splitlines(), visible_text(fresh).splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return (
                f"{what} differs from a rendering of its embedded statement at text line {i + 1}: "
                f"page shows {x.strip()[:120]!r}, the statement renders {y.strip()[:120]!r}"
            )
    if len(a) != len(b):
        return f"{what} has {len(a)} lines of text, a rendering of its embedded statement {len(b)}"
    return f"{what}'s markup differs from a rendering of its embedded statement (text is the same)"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in ("p", "tr", "li", "div", "h1", "h2", "h3", "br", "table", "section"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th", "div", "span"):
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The text a reader sees on an HTML page (no scripts, styles or head), one block per line."""
    parser = _Text()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


# ----------------------------------------------------------------------------------- PDF
def _read_pdf(raw: bytes, path: Path) -> tuple[dict[str, Any], str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        attachments = reader.attachments
        metadata = reader.metadata
        engine = str(metadata.get(PDF_ENGINE_KEY, "")) if metadata else ""
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise StatementFileError(f"{path}: not a readable PDF ({exc})") from None
    copies = attachments.get(PDF_ATTACHMENT, [])
    if len(copies) != 1:
        raise StatementFileError(
            f"{path}: expected exactly one attached {PDF_ATTACHMENT}, found {len(copies)}; it is "
            "not a bluecarbon statement PDF or the attachment was removed"
        )
    doc = _parse(copies[0].decode("utf-8", errors="replace"), f"{path} (attached {PDF_ATTACHMENT})")
    return doc, engine, text


def expected_page_text(doc: Mapping[str, Any], engine: str) -> str:
    """The text a PDF rendering of ``doc`` by ``engine`` carries (before layout)."""

    if engine == "fpdf2":
        return "\n".join(pdf_lines(doc))
    return visible_text(render_html(doc))


def _compare_pdf(
    page_text: str, doc: Mapping[str, Any], engine: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if engine not in ("chromium", "fpdf2"):
        return (f"the PDF does not name the engine that drew it ({PDF_ENGINE_KEY} missing)",), ()
    printed = figures(page_text)
    expected = figures(expected_page_text(doc, engine))
    extra, missing = printed - expected, expected - printed
    if not extra and not missing:
        return (), ()
    parts = []
    if extra:
        parts.append("shows " + ", ".join(sorted(extra.elements())[:8]) + " which the statement does not")
    if missing:
        parts.append("lacks " + ", ".join(sorted(missing.elements())[:8]) + " which the statement prints")
    return (f"the PDF's pages differ from its attached statement: it {'; it '.join(parts)}",), ()


def figures(text: str) -> Counter[str]:
    """Count the numbers printed in ``text``. Whitespace is removed first: PDF text extraction
    inserts spaces (or NULs, for some CID fonts) between glyphs and breaks lines anywhere, so a number is a maximal run of
    digits, thousands separators and decimal points (with the sign written before it) in the
    text without whitespace."""
    compact = re.sub(r"[\s\x00]+", "", text).replace("−", "-")
    return Counter(m.group() for m in _NUMBER.finditer(compact))
