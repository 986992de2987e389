"""Reading credentials written by other tools (the shared corpus) and files without any."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.errors import ProvenanceError
from studio.media.encode import write_clip
from studio.provenance.reader import read_credentials, recipe_from_file


def test_valid_file_signed_with_a_test_certificate_reads_as_untrusted_signer(corpus: Path) -> None:
    report = read_credentials(corpus / "c2pa" / "C.jpg")
    assert report.state == "untrusted signer"
    assert report.failing_check == "signingCredential.untrusted"
    assert report.issuer == "C2PA Test Signing Cert"
    assert report.signed_time and report.manifest.time_source == "timestamp authority"
    assert report.recipe is None and not report.ai_generated


def test_file_changed_after_signing_reads_as_tampered_with_the_failing_check(corpus: Path) -> None:
    report = read_credentials(corpus / "c2pa" / "XCA.jpg")
    assert report.state == "tampered"
    assert report.failing_check == "assertion.dataHash.mismatch"
    assert "signingCredential.untrusted" in report.validation.failures


def test_mp4_from_another_tool_shows_its_ingredient_tree(corpus: Path) -> None:
    report = read_credentials(corpus / "c2pa" / "video1.mp4")
    assert report.state == "untrusted signer"
    (parent,) = report.ingredients
    assert parent.relationship == "parentOf"
    assert parent.manifest is not None and parent.validation.state == "untrusted signer"
    data = report.to_dict()
    assert data["ingredients"][0]["relationship"] == "parentOf"


def test_file_without_credentials_reads_as_none(tmp_path: Path) -> None:
    clip = write_clip(np.zeros((4, 32, 32, 3), np.uint8), None, 24, 48000, tmp_path / "plain.mp4")
    report = read_credentials(clip)
    assert report.state == "none" and not report.has_credentials and report.ingredients == ()
    assert recipe_from_file(clip) is None


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProvenanceError, match="does not exist"):
        read_credentials(tmp_path / "nope.mp4")
