"""`kinora credentials`, `kinora identity` and `kinora export` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from studio.cli import main
from studio.library.library import Library
from studio.media.encode import write_clip
from studio.recipe import Recipe


def _library_with_take(tmp_path: Path) -> int:
    with Library.open() as lib:  # the test's KINORA_LIBRARY
        recipe = Recipe(prompt="a lantern", model_id="tiny-random", seed=3, width=64, height=48, seconds=0.5)
        take = lib.create_take(recipe)
        clip = write_clip(np.full((12, 48, 64, 3), 70, np.uint8), None, 24, 48000, tmp_path / "raw.mp4")
        lib.complete_take(take.id, clip, recipe=recipe, timings={})
        return take.id


def test_export_then_credentials_json_shows_a_valid_ai_generated_file_with_its_recipe(tmp_path, capsys) -> None:
    take_id = _library_with_take(tmp_path)
    out = tmp_path / "lantern.mp4"
    assert main(["export", str(take_id), "--take", "-o", str(out), "--no-watermark"]) == 0
    assert "Wrote" in capsys.readouterr().out
    assert main(["credentials", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["validation"]["state"] == "valid" and data["ai_generated"] is True
    assert data["recipe"]["prompt"] == "a lantern" and data["recipe"]["seed"] == 3
    assert data["issuer"] == "Kinora Studio user"


def test_credentials_text_names_the_failing_check_of_a_tampered_file(corpus, capsys) -> None:
    assert main(["credentials", str(corpus / "c2pa" / "XCA.jpg")]) == 4  # tampered (exit 0 before issue 16)
    text = capsys.readouterr().out
    assert "TAMPERED" in text and "failing check: assertion.dataHash.mismatch" in text
    assert "parentOf 'A.jpg'" in text


def test_credentials_of_a_missing_file_is_a_one_line_error(tmp_path, capsys) -> None:
    assert main(["credentials", str(tmp_path / "nope.mp4")]) == 2
    assert capsys.readouterr().err.startswith("kinora: ")


def test_identity_rename_changes_the_signer_shown_in_new_exports(tmp_path, capsys) -> None:
    take_id = _library_with_take(tmp_path)
    assert main(["identity", "rename", "Ada Films"]) == 0
    assert "Ada Films" in capsys.readouterr().out
    out = tmp_path / "ada.mp4"
    assert main(["export", str(take_id), "--take", "-o", str(out), "--no-credentials"]) == 0
    capsys.readouterr()
    assert main(["credentials", str(out), "--json"]) == 5  # no credentials
    assert json.loads(capsys.readouterr().out)["validation"]["state"] == "none"
    signed = tmp_path / "ada-signed.mp4"
    assert main(["export", str(take_id), "--take", "-o", str(signed)]) == 0
    capsys.readouterr()
    assert main(["credentials", str(signed), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["issuer"] == "Ada Films"


@pytest.mark.parametrize("args", [["export", "999", "--take", "-o", "x.mp4"], ["export", "999", "-o", "x.mp4"]])
def test_exporting_something_that_does_not_exist_says_so(tmp_path, capsys, args) -> None:
    assert main(args) == 2
    assert "999" in capsys.readouterr().err


def test_kinora_import_of_a_signed_export_keeps_its_recipe_for_remixing(tmp_path, capsys, monkeypatch) -> None:
    take_id = _library_with_take(tmp_path)
    out = tmp_path / "shared.mp4"
    assert main(["export", str(take_id), "--take", "-o", str(out)]) == 0
    monkeypatch.setenv("KINORA_LIBRARY", str(tmp_path / "friend"))  # someone else's library
    capsys.readouterr()
    assert main(["import", str(out), "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["credentials"] == "valid"
    with Library.open() as friend:
        take = friend.take(result["id"])
        assert take.origin == "imported" and take.recipe.prompt == "a lantern" and take.recipe.seed == 3
        assert friend.media(take.media_id).provenance_json is not None
