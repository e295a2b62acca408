"""The read-only HTTP API server."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from bluecarbon.cli import _common as c


def api(
    config: c.ConfigOption = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Interface to bind (default [api] host, loopback).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default [api] port).")] = None,
) -> None:
    """Serve releases, parcels and statements over a read-only HTTP API (token auth)."""
    import uvicorn

    from bluecarbon.server import AccessPolicy, ApiConfig, create_app

    settings = c.settings(config)
    with c.errors():
        policy = AccessPolicy.from_config(settings.api_tokens, settings.api_public_releases)
        app_ = create_app(
            ApiConfig(
                store=c.store(settings),
                policy=policy,
                max_request_bytes=settings.api_max_request_bytes,
                **_statement_hooks(),
            )
        )
    bind = host or settings.api_host
    if bind not in ("127.0.0.1", "::1", "localhost"):
        c.err().print(
            f"[yellow]warning:[/] serving on {bind}, not loopback: put it behind TLS and a firewall"
        )
    uvicorn.run(app_, host=bind, port=port or settings.api_port, log_level="info", server_header=False)


def _statement_hooks() -> dict[str, Any]:
    """Statement builder and HTML renderer for the API (absent until the report module exists)."""
    try:
        from bluecarbon.report.render import render_html
        from bluecarbon.report.statement import build_statement
    except ImportError:
        return {}
    return {"build_statement": build_statement, "render_html": render_html}
