"""Issuer keys and statement signatures, tried as a forger would."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from bluecarbon.report.signing import (
    SigningError,
    check_signature,
    create_issuer_key,
    key_fingerprint,
    load_issuer_key,
    parse_public_key,
    signature_block,
)


@pytest.fixture
def key(tmp_path: Path):
    return create_issuer_key(tmp_path / ".bluecarbon" / "issuer.key")


def _doc() -> dict:
    return {"stock": {"conservative_t_co2e": 160404.398}, "flags": [], "inputs": {"parcel_id": "tbep-1"}}


def _signed(doc: dict, key) -> tuple[dict, bytes]:
    body = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return {"sha256": "x", **signature_block(body, key, issuer="Qingdao Ocean Bureau")}, body


def test_key_file_is_private_and_never_replaced(key, tmp_path: Path) -> None:
    assert stat.S_IMODE(key.path.stat().st_mode) == 0o600
    assert key.path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    with pytest.raises(SigningError, match="already exists"):
        create_issuer_key(key.path)
    again = load_issuer_key(key.path)
    assert again.public_hex == key.public_hex and len(key.public_hex) == 64
    assert len(key.fingerprint.split()) == 8
    key.path.chmod(0o644)
    with pytest.raises(SigningError, match="readable by others"):
        load_issuer_key(key.path)
    with pytest.raises(SigningError, match="no issuer key"):
        load_issuer_key(tmp_path / "missing.key")


def test_a_signature_proves_integrity_and_issuer(key) -> None:
    integrity, body = _signed(_doc(), key)
    ok = check_signature(integrity, body, trusted_public_key=key.public_hex)
    assert ok.ok and ok.signed_by == key.fingerprint and not ok.warnings
    # without the issuer's key from elsewhere: integrity only, with a warning
    embedded = check_signature(integrity, body, trusted_public_key=None)
    assert embedded.ok and "independently" in embedded.warnings[0]


def test_an_edited_figure_fails_even_with_a_recomputed_hash(key) -> None:
    doc = _doc()
    integrity, _ = _signed(doc, key)
    doc["stock"]["conservative_t_co2e"] *= 2  # the forger edits a figure ...
    forged = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()  # ... and rehashes
    check = check_signature(integrity, forged, trusted_public_key=key.public_hex)
    assert not check.ok and "changed after it was signed" in check.problems[0]


def test_a_forger_signing_with_his_own_key_is_caught(key, tmp_path: Path) -> None:
    forger = create_issuer_key(tmp_path / "forger.key")
    integrity, body = _signed(_doc(), forger)
    check = check_signature(integrity, body, trusted_public_key=key.public_hex)
    assert not check.ok and key.fingerprint in check.problems[0]
    # and it passes only the weak, embedded-key check, which says so
    assert check_signature(integrity, body, trusted_public_key=None).warnings


def test_unsigned_statements_fail_when_a_key_is_expected(key) -> None:
    check = check_signature({"sha256": "x"}, b"{}", trusted_public_key=key.public_hex)
    assert not check.ok and "not signed" in check.problems[0]
    assert check_signature({"sha256": "x"}, b"{}", trusted_public_key=None).warnings


def test_public_keys_in_every_form(key, tmp_path: Path) -> None:
    assert parse_public_key(key.public_hex.upper()) == key.public_hex
    spaced = " ".join(key.public_hex[i : i + 8] for i in range(0, 64, 8))
    assert parse_public_key(spaced) == key.public_hex
    pem = tmp_path / "issuer.pub"
    from cryptography.hazmat.primitives import serialization

    pem.write_bytes(
        key.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert parse_public_key(str(pem)) == key.public_hex
    with pytest.raises(SigningError, match="64 hex digits"):
        parse_public_key("not a key")
    # sha256 of 32 zero bytes is 66687aadf862bd776c8fc18b8e9f8e20...: its first 16 bytes, grouped
    assert key_fingerprint("00" * 32) == "6668 7aad f862 bd77 6c8f c18b 8e9f 8e20"


def test_statement_signature_checks_with_plain_cryptography_as_lenders_md_shows(key) -> None:
    """docs/lenders.md tells banks how to check a signature without bluecarbon; keep it true."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from bluecarbon.report.statement import integrity_block, statement_hash

    doc = {**_doc(), "parcel": {"name": "胶州湾 鳗草"}}
    doc["integrity"] = integrity_block(doc, key, issuer="Qingdao Ocean Bureau")
    assert doc["integrity"]["sha256"] == statement_hash(doc)
    body = {k: v for k, v in doc.items() if k != "integrity"}
    message = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key.public_hex))
    public.verify(bytes.fromhex(doc["integrity"]["signature"]), message)
    doc["stock"]["conservative_t_co2e"] += 1
    edited = json.dumps(
        {k: v for k, v in doc.items() if k != "integrity"},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    with pytest.raises(InvalidSignature):
        public.verify(bytes.fromhex(doc["integrity"]["signature"]), edited)
