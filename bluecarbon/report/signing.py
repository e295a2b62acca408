"""Issuer signatures on sink statements (Ed25519).

Why signatures and not only a hash: anyone can edit a figure and recompute a sha256, so a hash
proves only that the file is self-consistent. A signature made with the issuer's private key,
checked with a public key the bank obtained from the issuer through another channel, proves who
issued the document and that nothing changed since. It proves nothing about whether the figures
are right: that is what recomputing them from the named release does (``verify_statement``).

The key pair lives outside the store (``[issuer] key_file``, default
``.bluecarbon/issuer.key``, PKCS#8 PEM, mode 0600, git-ignored); only the public key travels,
inside each signed statement and from the API's ``/issuer``. The message signed is the canonical
JSON of the statement without its ``integrity`` block, the same bytes the sha256 covers.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bluecarbon.errors import BlueCarbonError

ALGORITHM = "ed25519"


class SigningError(BlueCarbonError):
    """An issuer key cannot be created, read or used."""


@dataclass(frozen=True)
class IssuerKey:
    """A loaded issuer key pair (the private half never leaves this object)."""

    private: Ed25519PrivateKey = field(repr=False)
    path: Path

    @property
    def public_hex(self) -> str:
        return public_key_hex(self.private.public_key())

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.public_hex)

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


def public_key_hex(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key as 64 hex digits."""
    raw = key.public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)
    return raw.hex()


def key_fingerprint(public_hex: str) -> str:
    """Short, readable fingerprint to compare over the phone: sha256 of the raw public key,
    first 16 bytes as 8 groups of 4 hex digits."""
    digest = hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def create_issuer_key(path: Path) -> IssuerKey:
    """Create a new key pair at ``path`` (mode 0600); refuses to replace an existing key."""
    path = Path(path)
    if path.exists():
        raise SigningError(
            f"{path}: an issuer key already exists; statements signed with it can only be checked "
            "with its public key, so it is never replaced (move it away yourself to start a new one)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return IssuerKey(private=private, path=path)


def load_issuer_key(path: Path) -> IssuerKey:
    """The key pair at ``path``; refuses a key file others can read."""
    path = Path(path)
    if not path.is_file():
        raise SigningError(f"{path}: no issuer key (create one with `bluecarbon issuer init`)")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SigningError(
            f"{path}: the issuer key is readable by others (mode {mode:o}); run `chmod 600 {path}`"
        )
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{path}: not a PEM private key ({exc})") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningError(f"{path}: not an Ed25519 key (expected the key `bluecarbon issuer init` makes)")
    return IssuerKey(private=private, path=path)


def parse_public_key(text: str) -> str:
    """A public key given as 64 hex digits, a PEM public key, or a file holding either, as hex."""
    candidate = text.strip()
    path = Path(candidate)
    if len(candidate) < 256 and "\n" not in candidate and path.is_file():
        candidate = path.read_text(encoding="utf-8").strip()
    if candidate.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(candidate.encode())
        except ValueError as exc:
            raise SigningError(f"not a PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningError("not an Ed25519 public key")
        return public_key_hex(key)
    hex_text = candidate.replace(" ", "").replace(":", "").lower()
    if len(hex_text) != 64 or any(c not in "0123456789abcdef" for c in hex_text):
        raise SigningError(
            f"public key {text[:40]!r}: expected 64 hex digits (as printed by `bluecarbon issuer init`), "
            "a PEM public key, or a file holding one"
        )
    return hex_text


@dataclass(frozen=True)
class SignatureCheck:
    """Outcome of checking a statement's signature."""

    ok: bool
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    signed_by: str | None = None


def signature_block(message: bytes, key: IssuerKey, *, issuer: str | None) -> dict[str, Any]:
    """The signature fields of a statement's ``integrity`` block for ``message``."""
    return {
        "signature_algorithm": ALGORITHM,
        "signature": key.sign(message),
        "public_key": key.public_hex,
        "key_fingerprint": key.fingerprint,
        "issuer": issuer,
    }


def check_signature(
    integrity: Mapping[str, Any], message: bytes, *, trusted_public_key: str | None
) -> SignatureCheck:
    """Check ``integrity``'s signature over ``message`` with the trusted key (hex), or with the
    embedded key when none is given (which proves integrity, not who issued it)."""
    signature = integrity.get("signature")
    if not signature:
        problems = ("the statement is not signed: its issuer cannot be proven",)
        return SignatureCheck(
            ok=trusted_public_key is None,
            problems=() if trusted_public_key is None else problems,
            warnings=problems if trusted_public_key is None else (),
        )
    if integrity.get("signature_algorithm") != ALGORITHM:
        return SignatureCheck(
            False, (f"unknown signature algorithm {integrity.get('signature_algorithm')!r}",)
        )
    embedded = str(integrity.get("public_key") or "")
    warnings: tuple[str, ...] = ()
    if trusted_public_key is None:
        key_hex = embedded
        warnings = (
            "checked against the public key inside the statement: this proves the statement was not "
            "changed since it was signed, not who signed it; obtain the issuer's public key "
            "independently and pass --public-key",
        )
    else:
        key_hex = trusted_public_key
        if embedded and embedded != trusted_public_key:
            return SignatureCheck(
                False,
                (
                    f"signed with key {key_fingerprint(embedded) if _hex(embedded) else embedded!r}, "
                    f"not with the trusted key {key_fingerprint(trusted_public_key)}",
                ),
            )
    if not _hex(key_hex):
        return SignatureCheck(False, ("the statement's public key is not 64 hex digits",))
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex))
        public.verify(bytes.fromhex(str(signature)), message)
    except (InvalidSignature, ValueError):
        return SignatureCheck(
            False,
            ("the signature does not match the statement's content: it was changed after it was signed",),
        )
    return SignatureCheck(True, (), warnings, signed_by=key_fingerprint(key_hex))


def _hex(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)
