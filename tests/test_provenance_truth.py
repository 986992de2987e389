"""Credentials that tell the truth (issue 16): the tamper matrix, exit codes, the untrusted CAWG signer,
identity permissions. The old tests read the active manifest's own failures only, so a tampered parent
read VALID; they never signed with an identity assertion, nor looked at free/skip boxes or the umask."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.reliability import tamper_cases as cases
from studio.cli import main
from studio.cli.credentials_cmd import EXIT_CODES
from studio.errors import ProvenanceError
from studio.provenance import identity as ident
from studio.provenance.manifest import IngredientSource, generated_take_plan
from studio.provenance.reader import read_credentials
from studio.provenance.signing import sign_media
from studio.recipe import Recipe


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every case of the matrix, signed once (module scope: signing costs ~0.2 s a file)."""
    folder = tmp_path_factory.mktemp("tamper")
    config = tmp_path_factory.mktemp("config")
    old = os.environ.get("KINORA_CONFIG")
    os.environ["KINORA_CONFIG"] = str(config)
    try:
        files = cases.make_matrix(folder)
        files["config"] = config  # the identity that signed them: tests trust its root
        yield files
    finally:
        if old is None:
            os.environ.pop("KINORA_CONFIG", None)
        else:
            os.environ["KINORA_CONFIG"] = old


MATRIX = cases.MATRIX


@pytest.mark.parametrize("case", sorted(MATRIX))
def test_tamper_matrix_verdict_and_exit_code(made: dict[str, Path], case: str, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KINORA_CONFIG", str(made["config"]))
    state, check, code = MATRIX[case]
    report = read_credentials(made[case])
    assert (report.state, report.failing_check) == (state, check)
    assert main(["credentials", str(made[case])]) == code
    assert EXIT_CODES[state] == code


def test_exit_codes_are_documented_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["credentials", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("0 valid", "3 valid but the signer is not trusted", "4 invalid or tampered", "5 no Content"):
        assert words in text


def test_json_keeps_the_ingredients_own_title(made: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINORA_CONFIG", str(made["config"]))
    # The parent was added as "parent" (its file stem); its own manifest is titled "parent" too, so sign
    # a remix whose ingredient title differs from the nested manifest's.
    folder = made["valid"].parent
    child = cases.signed(folder, "titled", "remix", parent=made["valid"], parent_title="My Kite Shot")
    main(["credentials", str(child), "--json"])
    (ingredient,) = json.loads(capsys.readouterr().out)["ingredients"]
    assert ingredient["title"] == "My Kite Shot" and ingredient["manifest_title"] == "good"


def test_a_take_from_an_untrusted_cawg_file_can_be_remixed_and_signed(made: dict[str, Path],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # It was refused as TAMPERED before: the CAWG code counted as a content failure.
    monkeypatch.setenv("KINORA_CONFIG", str(made["config"]))
    folder = made["valid"].parent
    plan = generated_take_plan(Recipe(prompt="remix", model_id="tiny-random", seed=9), title="remix",
                               parent=IngredientSource(made["cawg untrusted"], "camera clip", "parentOf"))
    report = sign_media(cases.clip(folder / "r.raw.mp4"), folder / "remix-of-camera.mp4", plan)
    assert (folder / "remix-of-camera.mp4").is_file()
    # c2pa files the parent's identity signer under the remix's own results: intact, signer not trusted here.
    assert report.state == "untrusted signer" and report.failing_check == "cawg.x509.credential.untrusted"


def test_an_export_with_a_cameo_names_its_creator_in_a_cawg_identity(made: dict[str, Path],
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KINORA_CONFIG", str(made["config"]))
    folder = made["valid"].parent
    consent = [{"handle": "@alice", "owner_key": "k", "grant_id": None, "scope": "own"}]
    plan = generated_take_plan(Recipe(prompt="@alice waves", model_id="tiny-random", seed=4), title="cameo",
                               consent=consent)
    report = sign_media(cases.clip(folder / "cameo.raw.mp4"), folder / "cameo.mp4", plan)
    name = ident.ensure_identity().name
    assert report.manifest is not None
    assert (report.state, report.manifest.creator, report.manifest.creator_is_signer) == ("valid", name, True)
    store = json.loads(report.manifest_json or "{}")
    (identity,) = [a["data"] for a in store["manifests"][store["active_manifest"]]["assertions"]
                   if a["label"] == "cawg.identity"]
    # The identity binds the creator to what they claim: the actions and the cameo consent.
    bound = [r["url"] for r in identity["signer_payload"]["referenced_assertions"]]
    assert "self#jumbf=c2pa.assertions/org.kinora.cameo_consent" in bound
    assert "self#jumbf=c2pa.assertions/c2pa.actions.v2" in bound
    assert main(["credentials", str(folder / "cameo.mp4")]) == 0
    assert f"Creator:      {name} (CAWG identity, the signer's own certificate)" in capsys.readouterr().out
    # A file without cameos carries no identity assertion.
    plain = read_credentials(made["valid"]).manifest
    assert plain is not None and plain.creator is None
    # Read where our root is not trusted, the claim signer stays untrusted (the creator vouches for nothing).
    monkeypatch.setenv("KINORA_CONFIG", str(folder / "elsewhere"))
    assert read_credentials(folder / "cameo.mp4").state == "untrusted signer"


def test_identity_is_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        made = ident.create_identity("Ada", folder=tmp_path / "identity")
    finally:
        os.umask(old)
    assert (tmp_path / "identity").stat().st_mode & 0o777 == 0o700  # was 0777 under umask 000
    assert made.key_path.stat().st_mode & 0o777 == 0o600


def test_a_key_others_can_read_is_refused_for_signing(tmp_path: Path) -> None:
    made = ident.create_identity("Ada", folder=tmp_path / "identity")
    made.key_path.chmod(0o644)
    with pytest.raises(ProvenanceError, match="can be read by other users"):
        sign_media(cases.clip(tmp_path / "raw.mp4"), tmp_path / "out.mp4",
                   generated_take_plan(Recipe(prompt="x"), title="x"), identity=made)
    assert not (tmp_path / "out.mp4").exists()
