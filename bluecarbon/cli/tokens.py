"""``bluecarbon api-token``: a fresh API token and the configuration entry that admits it.

The shipped configuration makes every release restricted, so reading the API needs a token.
The token itself is printed once and never stored: bluecarbon.toml holds only its sha256,
so the configuration file (often copied, committed or shared) reveals nothing usable.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bluecarbon.cli import _common as c


def api_token(
    name: Annotated[str, typer.Argument(help="Who the token is for, e.g. bank-a.")],
    releases: Annotated[
        list[str] | None,
        typer.Option("--releases", help="Release tag it may read (repeatable); default every release ('*')."),
    ] = None,
) -> None:
    """Create an API token and its configuration entry.

    Prints the token once, and the [[api.tokens]] entry (its sha256 only) to paste into
    bluecarbon.toml. Nothing is stored: keep the token, it cannot be shown again.
    """
    import hashlib
    import json
    import secrets

    from pydantic import ValidationError

    from bluecarbon.config import Token

    token = secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    tags = releases or ["*"]
    try:
        Token(name=name, token_sha256=digest, releases=tags)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise c.fail(message, code=2) from None
    print(f"token (shown once; send it as 'Authorization: Bearer <token>'):\n{token}\n")
    print("add to bluecarbon.toml:")
    print("[[api.tokens]]")
    print(f"name = {json.dumps(name, ensure_ascii=False)}")
    print(f'token_sha256 = "{digest}"')
    print(f"releases = [{', '.join(json.dumps(t) for t in tags)}]")
