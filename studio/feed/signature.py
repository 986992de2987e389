"""Signing a feed document with the creator's identity key, and checking it against a pinned root.

A feed is signed over its canonical JSON (keys sorted, no spaces, UTF-8) without the signature
field, with the same ECDSA key and certificate chain that sign the creator's C2PA exports. The chain
travels in the feed; a subscriber pins the chain's root on first subscribe, so a later feed signed
under another root (someone else's identity) is refused, while a renamed identity (a new signing
certificate under the same root) still verifies.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from studio.errors import FeedError
from studio.provenance.identity import SigningIdentity

SIGNATURE_KEY = "_kinora_signature"


@dataclass(frozen=True)
class Signer:
    """Who a verified feed is from: the root's fingerprint (the author's stable key) and their name."""

    author_key: str
    author_name: str
    root_pem: str


def canonical_json(document: dict[str, Any]) -> bytes:
    """The bytes that are signed: the document without its signature, keys sorted, compact, UTF-8."""
    body = {k: v for k, v in document.items() if k != SIGNATURE_KEY}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def author_key(identity: SigningIdentity) -> str:
    """The identity's stable key: SHA-256 of its root certificate (unchanged by a rename)."""
    return root_fingerprint(identity.trust_anchor_pem())


def root_fingerprint(root_pem: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert = x509.load_pem_x509_certificate(root_pem.encode())
    except ValueError as exc:
        raise FeedError(f"The feed's root certificate is not a PEM certificate ({exc}).") from exc
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def sign_document(document: dict[str, Any], identity: SigningIdentity) -> dict[str, Any]:
    """A copy of `document` with the signer's chain and root in `_kinora` and a signature over it all."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

    signed = dict(document)
    kinora = dict(signed.get("_kinora") or {})
    kinora.update(chain_pem=identity.chain_pem().decode(), root_pem=identity.trust_anchor_pem(),
                  author_key=author_key(identity), author_name=identity.name)
    signed["_kinora"] = kinora
    payload = canonical_json(signed)
    key = serialization.load_pem_private_key(identity.key_pem(), password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(payload, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(payload)
    elif isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(payload, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH),
                             hashes.SHA256())
    else:
        raise FeedError("The signing identity's key cannot sign feeds; use ECDSA, RSA or Ed25519.")
    signed[SIGNATURE_KEY] = {"alg": identity.alg, "value": base64.b64encode(signature).decode("ascii")}
    return signed


def verify_document(document: dict[str, Any], pinned_root_pem: str | None = None) -> Signer:
    """Check the feed's signature with the leaf of its chain, the leaf against the root, and the root
    against `pinned_root_pem` (the one pinned at subscribe time; None on first subscribe).

    Raises FeedError saying which check failed.
    """
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

    kinora = document.get("_kinora")
    signature = document.get(SIGNATURE_KEY)
    if not isinstance(kinora, dict) or not isinstance(signature, dict):
        raise FeedError("The feed is not signed (no _kinora block or no _kinora_signature).")
    try:
        chain = x509.load_pem_x509_certificates(str(kinora["chain_pem"]).encode())
        root_pem = str(kinora["root_pem"])
        root = x509.load_pem_x509_certificate(root_pem.encode())
        raw = base64.b64decode(str(signature["value"]), validate=True)
    except (KeyError, ValueError) as exc:
        raise FeedError(f"The feed's signature block is malformed ({exc}).") from exc
    key = root_fingerprint(root_pem)
    if pinned_root_pem is not None and key != root_fingerprint(pinned_root_pem):
        raise FeedError("The feed is signed by a different identity than the one pinned when you subscribed "
                        "(its root certificate changed). Unsubscribe and subscribe again only if you trust the new one.")
    if str(kinora.get("author_key")) != key:
        raise FeedError("The feed's author key does not match its root certificate.")
    leaf = chain[0]
    issuer = chain[1] if len(chain) > 1 else root
    try:
        leaf.verify_directly_issued_by(issuer)
        if issuer.fingerprint(hashes.SHA256()) != root.fingerprint(hashes.SHA256()):
            issuer.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise FeedError("The feed's signing certificate was not issued by its root certificate.") from exc
    payload = canonical_json(document)
    public = leaf.public_key()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(raw, payload, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(raw, payload)
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(raw, payload, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH),
                          hashes.SHA256())
        else:
            raise FeedError("The feed is signed with a kind of key Kinora cannot check.")
    except InvalidSignature as exc:
        raise FeedError("The feed's signature does not verify: it was changed after it was signed.") from exc
    return Signer(author_key=key, author_name=str(kinora.get("author_name") or "unknown"), root_pem=root_pem)
