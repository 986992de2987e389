"""Importing files with and without Content Credentials: stored, shown, and remixable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from studio.library.library import Library
from studio.media.encode import write_clip
from studio.provenance.importing import record_credentials
from studio.provenance.manifest import generated_take_plan
from studio.provenance.signing import sign_media
from studio.recipe import Recipe


def _clip(path: Path) -> Path:
    return write_clip(np.full((6, 32, 48, 3), 120, np.uint8), None, 24, 48000, path)


def _import(lib: Library, path: Path):
    media = lib.import_media(path)
    return lib.add_imported_take(media.id, title=path.name)


def test_a_file_with_a_kinora_recipe_imports_with_its_credentials_and_becomes_remixable(lib: Library, tmp_path: Path) -> None:
    recipe = Recipe(prompt="a lighthouse at dusk", model_id="tiny-random", seed=11, mode="video",
                    source_take_id=4, strength=0.5)
    signed = tmp_path / "shared.mp4"
    sign_media(_clip(tmp_path / "raw.mp4"), signed, generated_take_plan(recipe, title="shared"))
    take = _import(lib, signed)
    report = record_credentials(lib, take)
    assert report is not None and report.state == "valid" and report.recipe == recipe
    store = json.loads(lib.media(take.media_id).provenance_json)
    labels = [a["label"] for a in store["manifests"][store["active_manifest"]]["assertions"]]
    assert "org.kinora.recipe" in labels
    remixable = lib.take(take.id).recipe
    # The sender's take id means nothing in this library: the recipe keeps everything else.
    assert remixable == recipe.replace(source_take_id=None, source_path="parent clip")


def test_a_file_without_credentials_imports_normally(lib: Library, tmp_path: Path) -> None:
    take = _import(lib, _clip(tmp_path / "plain.mp4"))
    report = record_credentials(lib, take)
    assert report is not None and report.state == "none"
    assert lib.media(take.media_id).provenance_json is None
    assert lib.take(take.id).recipe is None and lib.take(take.id).status == "done"


def test_a_tampered_file_keeps_its_manifest_but_its_recipe_is_not_adopted(lib: Library, tmp_path: Path) -> None:
    signed = tmp_path / "tampered.mp4"
    sign_media(_clip(tmp_path / "raw.mp4"), signed, generated_take_plan(Recipe(prompt="x"), title="x"))
    data = bytearray(signed.read_bytes())
    data[data.rfind(b"mdat") + 40] ^= 0x01
    signed.write_bytes(bytes(data))
    take = _import(lib, signed)
    report = record_credentials(lib, take)
    assert report.state == "tampered"
    assert lib.media(take.media_id).provenance_json is not None
    assert lib.take(take.id).recipe is None


def test_a_format_that_cannot_carry_credentials_imports_without_them(lib: Library, tmp_path: Path, corpus: Path) -> None:
    take = _import(lib, corpus / "video" / "bear-vp9-odd-dimensions.webm")
    assert record_credentials(lib, take) is None
    assert lib.take(take.id).status == "done"
