"""Sink statements: issue one for a parcel of a release, verify one a bank received."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bluecarbon.cli import _common as c


def statement(
    parcel_id: Annotated[
        str, typer.Argument(help="Parcel id as stored in the release (see `bluecarbon show`).")
    ],
    release: Annotated[
        str, typer.Option("--release", help="Release tag, 'latest' or snapshot id.")
    ] = "latest",
    price: Annotated[
        float | None, typer.Option("--price", help="CNY per t CO2e (default: params carbon_prices.csv).")
    ] = None,
    buffer: Annotated[
        float | None, typer.Option("--buffer", help="Non-permanence buffer, percent (default: params).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json | html | pdf")] = "json",
    lang: Annotated[str, typer.Option("--lang", help="zh | en")] = "en",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout for json).")
    ] = None,
    config: c.ConfigOption = None,
) -> None:
    """Issue a sink statement for one parcel of a published release (conservative value,
    uncertainty, provenance). JSON is the source of truth; HTML and PDF render from it."""
    if fmt not in ("json", "html", "pdf"):
        raise c.fail(f"--format {fmt!r}: expected json, html or pdf", code=2)
    if fmt == "pdf" and output is None:
        raise c.fail("--format pdf needs --output FILE.pdf", code=2)
    settings = c.settings(config)
    from bluecarbon.report.render import render_html, render_pdf
    from bluecarbon.report.statement import build_statement

    with c.errors():
        doc = build_statement(
            c.store(settings), parcel_id, release=release, price=price, buffer_pct=buffer, lang=lang
        )
        if fmt == "json":
            text = json.dumps(doc, ensure_ascii=False, indent=1)
            if output is None:
                print(text)
                return
            output.write_text(text + "\n", encoding="utf-8")
        elif fmt == "html":
            html = render_html(doc)
            if output is None:
                print(html)
                return
            output.write_text(html, encoding="utf-8")
        else:
            assert output is not None
            engine = render_pdf(doc, output)
            c.console().print(f"PDF rendered with {engine}")
    status = " (WITHDRAWN RELEASE)" if doc["release"]["status"] == "withdrawn" else ""
    figures = [f"conservative stock {doc['conservative']['conservative_t_co2e']:,.0f} t CO2e"]
    harvest = (doc.get("shellfish") or {}).get("latest")
    if harvest:  # a farm: its sink is the annual harvest removal, not a stock
        figures.append(
            f"harvest removal {harvest['year']} conservative {harvest['conservative_t_co2e']:,.0f} t CO2e/yr"
        )
    c.console().print(
        f"statement for {parcel_id} at release {doc['release']['tag']}{status}: "
        f"{'; '.join(figures)} -> {output}"
    )


def verify_statement_cmd(
    file: Annotated[Path, typer.Argument(help="Statement JSON file.")],
    shallow: Annotated[
        bool, typer.Option("--shallow", help="Skip re-hashing the release's stored data.")
    ] = False,
    config: c.ConfigOption = None,
) -> None:
    """Recompute a statement from its release and confirm its hashes; any edit is reported."""
    settings = c.settings(config)
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise c.fail(f"{file}: not a readable JSON statement ({exc})") from None
    from bluecarbon.report.statement import validate_statement, verify_statement

    problems = validate_statement(doc)
    with c.errors():
        check = verify_statement(c.store(settings), doc, deep=not shallow)
    problems += list(check.problems)
    if problems:
        c.err().print(f"[bold red]statement {file} FAILED verification[/] ({len(problems)} problem(s)):")
        for p in problems[:40]:
            c.err().print(f"  {p}", highlight=False)
        raise typer.Exit(1)
    c.console().print(
        f"statement {file}: OK, every figure recomputed from release {check.release}; "
        f"sha256 {doc['integrity']['sha256']}"
    )
