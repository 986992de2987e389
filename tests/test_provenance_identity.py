"""The signing identity: made on first use, C2PA-shaped, private, renamable, importable."""

from __future__ import annotations

import datetime
import stat
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from studio.errors import ProvenanceError
from studio.media.encode import write_clip
from studio.provenance import identity as ident
from studio.provenance.manifest import generated_take_plan
from studio.provenance.reader import read_credentials
from studio.provenance.signing import sign_media
from studio.recipe import Recipe


def _leaf(identity: ident.SigningIdentity) -> x509.Certificate:
    return x509.load_pem_x509_certificates(identity.chain_pem())[0]


def test_first_use_makes_identity_in_config_folder_with_private_keys() -> None:
    assert ident.load_identity() is None
    identity = ident.ensure_identity()
    assert identity.folder == ident.identity_dir()
    for key_file in (identity.key_path, identity.folder / ident.ROOT_KEY):
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert ident.ensure_identity() == identity  # made once, then loaded


def test_signing_certificate_has_what_c2pa_requires() -> None:
    identity = ident.ensure_identity()
    chain = x509.load_pem_x509_certificates(identity.chain_pem())
    leaf, root = chain
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey) and leaf.public_key().curve.name == "secp256r1"
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    ekus = set(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in ekus
    assert x509.ObjectIdentifier(ident.DOCUMENT_SIGNING_OID) in ekus
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    assert aki == root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert leaf.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc > datetime.timedelta(days=365 * 20)
    assert identity.tsa_url is None  # offline signing by default


def test_renaming_keeps_the_root_so_older_files_stay_trusted() -> None:
    first = ident.ensure_identity()
    root_before = first.trust_anchor_pem()
    renamed = ident.create_identity("Ada Lovelace")
    assert renamed.name == "Ada Lovelace"
    assert renamed.trust_anchor_pem() == root_before
    assert _leaf(renamed).subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Ada Lovelace"


def _own_chain(tmp_path: Path, *, with_issuer: bool = True) -> tuple[Path, Path, Path]:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Studio CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ada"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ada Films")])
    leaf = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(2).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    chain_path, key_path, ca_path = tmp_path / "chain.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    chain_path.write_bytes(leaf.public_bytes(pem) + (ca.public_bytes(pem) if with_issuer else b""))
    key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    ca_path.write_bytes(ca.public_bytes(pem))
    return chain_path, key_path, ca_path


def test_imported_certificate_signs_files_that_read_as_valid(tmp_path: Path) -> None:
    chain_path, key_path, _ = _own_chain(tmp_path)
    identity = ident.import_identity(chain_path, key_path)
    assert identity.kind == "imported" and identity.name == "Ada Films" and identity.alg == "es256"
    assert stat.S_IMODE(identity.key_path.stat().st_mode) == 0o600
    clip = write_clip(np.zeros((6, 32, 32, 3), np.uint8), None, 24, 48000, tmp_path / "clip.mp4")
    report = sign_media(clip, tmp_path / "signed.mp4", generated_take_plan(Recipe(prompt="p"), title="t"))
    assert report.state == "valid"
    assert read_credentials(tmp_path / "signed.mp4").issuer == "Ada Films"


def test_import_refuses_a_lone_certificate_and_a_key_that_does_not_match(tmp_path: Path) -> None:
    chain_path, key_path, _ = _own_chain(tmp_path, with_issuer=False)
    with pytest.raises(ProvenanceError, match="only one certificate"):
        ident.import_identity(chain_path, key_path)
    other = tmp_path / "other"
    other.mkdir()
    chain_path, _, _ = _own_chain(tmp_path)
    _, wrong_key, _ = _own_chain(other)
    with pytest.raises(ProvenanceError, match="does not belong"):
        ident.import_identity(chain_path, wrong_key)


def test_timestamp_authority_must_be_a_url_and_can_be_turned_off() -> None:
    with pytest.raises(ProvenanceError, match="http"):
        ident.set_timestamp_authority("timestamp.example")
    assert ident.set_timestamp_authority("http://timestamp.example/tsa").tsa_url == "http://timestamp.example/tsa"
    assert ident.set_timestamp_authority(None).tsa_url is None
