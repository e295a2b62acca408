"""Sink statements: issue one for a parcel of a release, verify one a bank received."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from bluecarbon.cli import _common as c


def statement(
    parcel_id: Annotated[
        str, typer.Argument(help="Parcel id as stored in the release (see `bluecarbon parcels`).")
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
    fmt: Annotated[
        Literal["json", "html", "pdf"],
        typer.Option("--format", help="JSON (the source of truth), or its HTML or PDF rendering."),
    ] = "json",
    lang: Annotated[Literal["en", "zh"], typer.Option("--lang", help="Language of the texts.")] = "en",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout for json).")
    ] = None,
    config: c.ConfigOption = None,
    quiet: c.QuietOption = False,
) -> None:
    """Issue a sink statement for one parcel of a release.

    Conservative value, uncertainty and provenance, computed from the release alone. JSON is
    the source of truth; HTML and PDF render from it (and embed it).
    """
    if fmt == "pdf" and output is None:
        raise c.fail("--format pdf needs --output FILE.pdf", code=2)
    settings = c.settings(config)
    from bluecarbon.progress import stage_bar
    from bluecarbon.report.embedding import statement_text
    from bluecarbon.report.render import render_html, render_pdf
    from bluecarbon.report.statement import STAGES, build_statement

    rendering = f"rendering {fmt.upper()}"
    stages = STAGES if fmt == "json" else (*STAGES, rendering)
    with c.errors(), stage_bar(f"statement {parcel_id}", stages, quiet=quiet) as say:
        signer = _signer(settings)
        doc = build_statement(
            c.store(settings),
            parcel_id,
            release=release,
            price=price,
            buffer_pct=buffer,
            lang=lang,
            signer=signer,
            issuer=settings.issuer_name or None,
            progress=say,
        )
        if fmt != "json":
            say(rendering)
        if fmt == "json":
            text = statement_text(doc)
            if output is None:
                print(text, end="")
                return
            output.write_text(text, encoding="utf-8")
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
    figures = [f"conservative stock {doc['stock']['conservative_t_co2e']:,.0f} t CO2e"]
    if doc["flux"]["net_t_co2e_per_yr"] is not None:
        figures.append(
            f"net flux {doc['flux']['net_t_co2e_per_yr']:,.0f} t CO2e/yr ({doc['flux']['period']})"
        )
    harvest = (doc.get("removal") or {}).get("latest")
    if harvest:  # a farm: its sink is the annual harvest removal, not a stock
        figures.append(
            f"harvest removal {harvest['year']} {harvest['total_t_co2e_per_yr']:,.1f} t CO2e/yr "
            f"(tissue {harvest['tissue_t_co2e_per_yr']:,.1f})"
        )
    figures.append(
        f"creditable {doc['creditable']['creditable_t_co2e']:,.1f} t CO2e = "
        f"{doc['valuation']['creditable_value']:,.0f} {doc['valuation']['currency']}"
    )
    codes = ", ".join(f["code"] for f in doc["flags"])
    if codes:
        figures.append(f"flags: {codes}")
    signed = (
        f"signed by {doc['integrity']['key_fingerprint']}"
        if signer is not None
        else "UNSIGNED (no issuer key: run `bluecarbon issuer init`)"
    )
    c.console().print(
        f"statement for {parcel_id} at release {doc['release']['tag']}{status}, {signed}: "
        f"{'; '.join(figures)} -> {output}",
        highlight=False,
    )


def _signer(settings: Any) -> Any:
    """The issuer key when one is configured and present, else None (statement unsigned)."""
    from bluecarbon.report.signing import load_issuer_key

    if not settings.issuer_key_file.exists():
        return None
    return load_issuer_key(settings.issuer_key_file)


def verify_statement_cmd(
    file: Annotated[Path, typer.Argument(help="Statement as .json, or its .html or .pdf rendering.")],
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="The issuer's public key (64 hex digits, PEM, or a file holding one), obtained from "
            "the issuer independently. Without it the signature is checked against the key inside "
            "the statement, which proves no one changed it but not who issued it.",
        ),
    ] = None,
    shallow: Annotated[
        bool, typer.Option("--shallow", help="Skip re-hashing all of the release's stored data.")
    ] = False,
    config: c.ConfigOption = None,
) -> None:
    """Check a statement: signature, pages and figures.

    What a bank runs on a statement it received: checks the issuer's signature, that the
    file and its pages were not edited, and every figure recomputed from its release with
    the release's pinned parameters. Exits 1 naming every problem.
    """
    from bluecarbon.report.documents import read_statement_file
    from bluecarbon.report.signing import parse_public_key
    from bluecarbon.report.statement import validate_statement, verify_statement

    settings = c.settings(config)
    with c.errors():
        trusted = parse_public_key(public_key) if public_key is not None else None
        loaded = read_statement_file(file)
    problems = [f"{loaded.kind} page: {p}" for p in loaded.problems]
    problems += [f"schema: {p}" for p in validate_statement(loaded.doc)]
    with c.errors():
        check = verify_statement(c.store(settings), loaded.doc, deep=not shallow, trusted_public_key=trusted)
    problems += list(check.problems)
    warnings = [*loaded.warnings, *check.warnings]
    for w in warnings:
        c.err().print(f"[yellow]warning:[/] {w}", highlight=False)
    if problems:
        c.err().print(
            f"[bold red]statement {file} FAILED verification[/] ({len(problems)} problem(s)):",
            highlight=False,
        )
        for p in problems[:40]:
            c.err().print(f"  {p}", highlight=False)
        raise typer.Exit(1)
    integrity = loaded.doc["integrity"]
    who = (
        f"signed by key {check.signed_by}"
        + (f" ({integrity['issuer']})" if integrity.get("issuer") else "")
        + ("" if trusted else " (key taken from the statement itself)")
        if check.signed_by
        else "NOT SIGNED"
    )
    c.console().print(
        f"statement {file}: OK, {who}; every figure recomputed from release {check.release}; "
        f"statement JSON sha256 {loaded.json_sha256}",
        highlight=False,
    )


def render(
    file: Annotated[Path, typer.Argument(help="A statement JSON file (from `bluecarbon statement`).")],
    fmt: Annotated[Literal["html", "pdf"], typer.Option("--format", help="What to render.")] = "html",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
) -> None:
    """Render a saved statement JSON as HTML or PDF.

    The page embeds the JSON and prints its sha256, so the rendering verifies like the JSON
    itself. An edited JSON is refused.
    """
    from bluecarbon.report.documents import read_statement_file
    from bluecarbon.report.render import render_html, render_pdf
    from bluecarbon.report.signing import check_signature
    from bluecarbon.report.statement import canonical, statement_hash

    output = output or file.with_suffix(f".{fmt}")
    with c.errors():
        doc = read_statement_file(file).doc
        integrity = doc.get("integrity") or {}
        body = canonical({k: v for k, v in doc.items() if k != "integrity"}).encode("utf-8")
        if statement_hash(doc) != integrity.get("sha256") or (
            integrity.get("signature") and not check_signature(integrity, body, trusted_public_key=None).ok
        ):
            raise c.fail(
                f"{file} was edited after it was issued (its integrity hash or signature does not "
                "match); not rendering it"
            )
        if fmt == "html":
            output.write_text(render_html(doc), encoding="utf-8")
            engine = "jinja2"
        else:
            engine = render_pdf(doc, output)
    c.console().print(f"rendered {file} as {fmt} ({engine}) -> {output}", highlight=False)
