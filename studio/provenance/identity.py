"""The signing identity: a certificate chain and private key that sign every export.

On first use Kinora makes a local root certificate and a signing certificate under it, in
`config_dir()/identity`. The signing certificate has what C2PA validators check for: an
ECDSA P-256 key, not a CA, KeyUsage digitalSignature, ExtendedKeyUsage emailProtection and
documentSigning, SubjectKeyIdentifier and AuthorityKeyIdentifier. Without a timestamp
authority the certificate's validity is checked when a file is *read*, possibly years later,
so it is long-lived. Private keys are written readable by the user alone (mode 0600).

A user may rename the identity (a new signing certificate under the same root) or import a
certificate chain and key of their own.
"""

from __future__ import annotations

import datetime
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from studio.atomic import atomic_path
from studio.errors import ProvenanceError
from studio.paths import config_dir

DOCUMENT_SIGNING_OID = "1.3.6.1.5.5.7.3.36"
DEFAULT_NAME = "Kinora Studio user"
ROOT_YEARS = 30
SIGNER_YEARS = 25

ROOT_CERT = "root.pem"
ROOT_KEY = "root.key"
SIGNER_CHAIN = "signer.pem"  # leaf first, then the chain up to (and including) the root
SIGNER_KEY = "signer.key"
SETTINGS = "identity.json"
# Two exports starting at once (GUI worker and a background signer) must not both make an identity.
_CREATE_LOCK = threading.Lock()


@dataclass(frozen=True)
class SigningIdentity:
    """A ready-to-use signing identity, as stored in `folder`."""

    folder: Path
    name: str
    alg: str  # C2PA algorithm name: "es256", "es384", "es512", "ps256", "ed25519"
    kind: str  # "local" (made by Kinora) or "imported"
    tsa_url: str | None  # timestamp authority; None signs offline

    @property
    def chain_path(self) -> Path:
        return self.folder / SIGNER_CHAIN

    @property
    def key_path(self) -> Path:
        return self.folder / SIGNER_KEY

    @property
    def trust_anchor_path(self) -> Path:
        return self.folder / ROOT_CERT

    def chain_pem(self) -> bytes:
        return self.chain_path.read_bytes()

    def key_pem(self) -> bytes:
        """The private key, refused (ProvenanceError) when other users can read it: a key others can
        read signs as you for anyone who copies it."""
        check_private(self.key_path)
        return self.key_path.read_bytes()

    def trust_anchor_pem(self) -> str:
        """The root that our own files chain to, added as a C2PA trust anchor when reading."""
        return self.trust_anchor_path.read_text()

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "alg": self.alg, "kind": self.kind, "tsa_url": self.tsa_url}


def identity_dir() -> Path:
    """Where the signing identity lives: `<config>/identity`."""
    return config_dir() / "identity"


def load_identity(folder: Path | None = None) -> SigningIdentity | None:
    """The stored identity, or None when none has been made yet."""
    folder = folder or identity_dir()
    settings = folder / SETTINGS
    if not settings.is_file():
        return None
    try:
        data = json.loads(settings.read_text())
        identity = SigningIdentity(folder=folder, name=str(data["name"]), alg=str(data["alg"]),
                                   kind=str(data.get("kind", "local")), tsa_url=data.get("tsa_url") or None)
    except (OSError, ValueError, KeyError) as exc:
        raise ProvenanceError(f"The signing identity in {folder} is unreadable ({exc}). "
                              f"Remove that folder to make a new one, or import your certificate again.") from exc
    for path in (identity.chain_path, identity.key_path, identity.trust_anchor_path):
        if not path.is_file():
            raise ProvenanceError(f"The signing identity in {folder} is missing {path.name}. "
                                  f"Remove that folder to make a new one, or import your certificate again.")
    return identity


def ensure_identity(folder: Path | None = None) -> SigningIdentity:
    """The stored identity, made on first use."""
    with _CREATE_LOCK:
        return load_identity(folder) or create_identity(DEFAULT_NAME, folder=folder)


def create_identity(name: str, *, folder: Path | None = None) -> SigningIdentity:
    """Make a local root and a signing certificate for `name` (the issuer shown to viewers).

    An existing local root is kept, so files signed before a rename stay trusted here;
    an imported identity is replaced by a fresh local one.
    """
    from cryptography.hazmat.primitives.asymmetric import ec

    name = _clean_name(name)
    folder = folder or identity_dir()
    _private_folder(folder)
    previous = load_identity(folder) if (folder / SETTINGS).is_file() else None
    if previous is not None and previous.kind == "local" and (folder / ROOT_KEY).is_file():
        root_key = _load_key((folder / ROOT_KEY).read_bytes(), folder / ROOT_KEY)
        root_cert = _load_cert((folder / ROOT_CERT).read_bytes(), folder / ROOT_CERT)
    else:
        root_key = ec.generate_private_key(ec.SECP256R1())
        root_cert = _make_root(root_key)
        _write_key(folder / ROOT_KEY, root_key)
        _write_file(folder / ROOT_CERT, _pem(root_cert))
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_cert = _make_signer(name, signer_key, root_cert, root_key)
    _write_key(folder / SIGNER_KEY, signer_key)
    _write_file(folder / SIGNER_CHAIN, _pem(signer_cert) + _pem(root_cert))
    return _save_settings(folder, name=name, alg="es256", kind="local",
                          tsa_url=previous.tsa_url if previous else None)


def import_identity(cert_path: Path, key_path: Path, *, trust_anchor_path: Path | None = None,
                    folder: Path | None = None) -> SigningIdentity:
    """Use the user's own certificate chain (PEM, leaf first) and private key (PEM) to sign.

    The chain must hold more than the leaf: C2PA refuses self-signed signing certificates.
    `trust_anchor_path` names the root to trust when reading our files; by default the last
    certificate of the chain.
    """
    from cryptography import x509

    folder = folder or identity_dir()
    chain_pem = _read(cert_path, "certificate")
    key_pem = _read(key_path, "private key")
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as exc:
        raise ProvenanceError(f"{cert_path} is not a PEM certificate chain ({exc}).") from exc
    key = _load_key(key_pem, key_path)
    leaf = chain[0]
    if len(chain) < 2:
        raise ProvenanceError(f"{cert_path} holds only one certificate. C2PA needs the signing certificate "
                              f"followed by the certificate that issued it; append the issuer's PEM to the file.")
    _check_signing_cert(leaf, cert_path)
    if _public_bytes(leaf.public_key()) != _public_bytes(key.public_key()):
        raise ProvenanceError(f"The private key {key_path} does not belong to the certificate {cert_path}.")
    anchor_pem = _read(trust_anchor_path, "trust anchor") if trust_anchor_path else _pem(chain[-1])
    _private_folder(folder)
    previous = load_identity(folder) if (folder / SETTINGS).is_file() else None
    (folder / ROOT_KEY).unlink(missing_ok=True)  # the local root no longer signs anything
    _write_file(folder / ROOT_CERT, anchor_pem)
    _write_key(folder / SIGNER_KEY, key)
    _write_file(folder / SIGNER_CHAIN, chain_pem)
    name = _subject_name(leaf)
    return _save_settings(folder, name=name, alg=_alg_for(key, key_path), kind="imported",
                          tsa_url=previous.tsa_url if previous else None)


def set_timestamp_authority(url: str | None, *, folder: Path | None = None) -> SigningIdentity:
    """Sign with a timestamp from `url` (an RFC 3161 server), or offline when None."""
    identity = ensure_identity(folder)
    if url and not url.startswith(("http://", "https://")):
        raise ProvenanceError(f"The timestamp authority must be an http(s) URL, not '{url}'.")
    return _save_settings(identity.folder, name=identity.name, alg=identity.alg, kind=identity.kind,
                          tsa_url=url or None)


# --- certificates -------------------------------------------------------------------------------

def _make_root(key):  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kinora Studio local root"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kinora Studio")])
    now = _now()
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365 * ROOT_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))


def _make_signer(name: str, key, root_cert, root_key):  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)])
    now = _now()
    ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(root_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365 * SIGNER_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                                  ObjectIdentifier(DOCUMENT_SIGNING_OID)]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(root_key, hashes.SHA256()))


def _key_usage(*, cert_sign: bool):  # type: ignore[no-untyped-def]
    from cryptography import x509

    return x509.KeyUsage(digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def _check_signing_cert(cert, path: Path) -> None:  # type: ignore[no-untyped-def]
    from cryptography import x509

    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.ca:
            raise ProvenanceError(f"{path} is a CA certificate; C2PA signs with an end-entity certificate.")
    except x509.ExtensionNotFound:
        pass
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.digital_signature:
            raise ProvenanceError(f"{path} does not allow digital signatures (KeyUsage); C2PA needs digitalSignature.")
    except x509.ExtensionNotFound:
        pass
    if cert.not_valid_after_utc < _now():
        raise ProvenanceError(f"The certificate {path} expired on {cert.not_valid_after_utc:%Y-%m-%d}.")


def _alg_for(key, path: Path) -> str:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey):
        algs = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name in algs:
            return algs[key.curve.name]
    elif isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise ProvenanceError(f"The key in {path} is of a kind C2PA cannot sign with; use ECDSA P-256/384/521, RSA or Ed25519.")


def _subject_name(cert) -> str:  # type: ignore[no-untyped-def]
    from cryptography.x509.oid import NameOID

    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        values = cert.subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return cert.subject.rfc4514_string()


# --- files --------------------------------------------------------------------------------------

def _save_settings(folder: Path, *, name: str, alg: str, kind: str, tsa_url: str | None) -> SigningIdentity:
    identity = SigningIdentity(folder=folder, name=name, alg=alg, kind=kind, tsa_url=tsa_url)
    _write_file(folder / SETTINGS, (json.dumps(identity.to_dict(), indent=2) + "\n").encode())
    return identity


def _private_folder(folder: Path) -> None:
    """Make the identity folder readable by the user alone (0700) whatever the umask."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.name != "nt":  # Windows keeps its own ACLs: the user's profile folder is private already
        os.chmod(folder, 0o700)


def check_private(key_path: Path) -> None:
    """ProvenanceError when a private key file can be read or written by users other than its owner."""
    if os.name == "nt":
        return
    mode = key_path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ProvenanceError(f"The private key {key_path} can be read by other users (mode {mode:o}); Kinora "
                              f"will not sign with it. Run `chmod 600 {key_path}`, and make a new identity "
                              "(`kinora identity rename NAME`) if others may have copied it.")


def _write_file(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _write_key(path: Path, key) -> None:  # type: ignore[no-untyped-def]
    """Write a private key (PKCS#8 PEM) that only the user can read: chmod before any byte lands."""
    from cryptography.hazmat.primitives import serialization

    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    with atomic_path(path) as tmp:
        os.chmod(tmp, 0o600)
        tmp.write_bytes(data)


def _pem(cert) -> bytes:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def _public_bytes(public_key) -> bytes:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _load_key(data: bytes, path: Path):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ProvenanceError(f"{path} is not an unencrypted PEM private key ({exc}).") from exc


def _load_cert(data: bytes, path: Path):  # type: ignore[no-untyped-def]
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise ProvenanceError(f"{path} is not a PEM certificate ({exc}).") from exc


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ProvenanceError(f"Cannot read the {what} file {path}: {exc.strerror or exc}.") from exc


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 64:
        raise ProvenanceError("The identity name must be 1 to 64 characters (it is shown as the signer of your files).")
    return name


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
