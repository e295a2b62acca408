"""The issuer's signing key: create it once, show its public half to give to banks."""

from __future__ import annotations

from pathlib import Path

import typer

from bluecarbon.cli import _common as c

app = typer.Typer(
    help=(
        "The key that signs statements (init, show).\n\n"
        "`init` creates it once; `show` prints its public key for banks."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


@app.command("init")
def init(config: c.ConfigOption = None) -> None:
    """Create the issuer's signing key (once).

    Writes the key pair at [issuer] key_file (mode 0600, never replaced) and prints the public
    key and its fingerprint to give to banks through a channel they trust.
    """
    from bluecarbon.errors import ConfigError
    from bluecarbon.report.signing import create_issuer_key

    settings = c.settings(config)
    key_file = settings.issuer_key_file
    with c.errors():
        if not settings.store_uri.startswith("s3://") and _inside(key_file, Path(settings.store_uri)):
            raise ConfigError(
                f"[issuer] key_file {key_file} is inside the store {settings.store_uri}: the private "
                "key must never be written into the store (choose a path outside it)"
            )
        key = create_issuer_key(key_file)
    _print_key(key.public_hex, key.fingerprint, settings.issuer_name, key_file, created=True)


@app.command("show")
def show(config: c.ConfigOption = None) -> None:
    """Print the issuer's public key and fingerprint.

    What banks pass to `bluecarbon verify-statement --public-key`.
    """
    from bluecarbon.report.signing import load_issuer_key

    settings = c.settings(config)
    with c.errors():
        key = load_issuer_key(settings.issuer_key_file)
    _print_key(key.public_hex, key.fingerprint, settings.issuer_name, settings.issuer_key_file, created=False)


def _print_key(public_hex: str, fingerprint: str, name: str, key_file: Path, *, created: bool) -> None:
    out = c.console()
    if created:
        out.print(f"created issuer key {key_file} (mode 0600; keep it secret, back it up, never commit it)")
    out.print(f"issuer:      {name or '(unnamed: set [issuer] name in bluecarbon.toml)'}", markup=False)
    out.print(f"public key:  {public_hex}", highlight=False)
    out.print(f"fingerprint: {fingerprint}", highlight=False)
    out.print(
        "Give banks this key through a channel they trust (letter, signed e-mail, your web "
        "site); they check statements with `bluecarbon verify-statement FILE --public-key KEY`.",
        highlight=False,
    )
