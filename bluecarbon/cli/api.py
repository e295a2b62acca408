"""The read-only HTTP API server (tokens: ``bluecarbon api-token``, in ``tokens.py``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from bluecarbon.cli import _common as c

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def api(
    config: c.ConfigOption = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Interface to bind (default [api] host, loopback).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default [api] port).")] = None,
) -> None:
    """Serve releases and statements over HTTP (tokens).

    A read-only HTTP API of releases, parcels and statements. Every release is restricted
    unless [api] public_releases lists it; create a token with `bluecarbon api-token NAME`
    and send it as 'Authorization: Bearer <token>'.
    """
    settings = c.settings(config)
    with c.errors():
        from bluecarbon.server import AccessPolicy, ApiConfig, create_app

        policy = AccessPolicy.from_config(settings.api_tokens, settings.api_public_releases)
        app_ = create_app(
            ApiConfig(
                store=c.store(settings),
                policy=policy,
                max_request_bytes=settings.api_max_request_bytes,
                **_statement_hooks(settings),
            )
        )
    bind = host or settings.api_host
    if policy.is_closed:
        c.err().print(
            "note: no public releases and no tokens configured: every release needs a token. "
            "Create one with `bluecarbon api-token NAME` and paste its entry into "
            f"{settings.config_file or 'bluecarbon.toml'}.",
            highlight=False,
        )
    if bind not in LOOPBACK:
        public = ", ".join(policy.public_releases) or "none"
        c.err().print(
            f"[yellow]warning:[/] serving on {bind}, not loopback (public releases: {public}): "
            "put it behind TLS and a firewall",
            highlight=False,
        )
    import uvicorn

    uvicorn.run(app_, host=bind, port=port or settings.api_port, log_level="info", server_header=False)


def _statement_hooks(settings: Any) -> dict[str, Any]:
    """Statement builder (signing with the issuer key when one is configured), HTML renderer
    and the issuer's public identity for ``/issuer``."""
    from functools import partial

    from bluecarbon.report.render import render_html
    from bluecarbon.report.signing import load_issuer_key
    from bluecarbon.report.statement import build_statement

    if not settings.issuer_key_file.exists():
        return {"build_statement": build_statement, "render_html": render_html}
    key = load_issuer_key(settings.issuer_key_file)
    issuer = settings.issuer_name or None
    return {
        "build_statement": partial(build_statement, signer=key, issuer=issuer),
        "render_html": render_html,
        "issuer": {"issuer": issuer, "public_key": key.public_hex, "key_fingerprint": key.fingerprint},
    }
