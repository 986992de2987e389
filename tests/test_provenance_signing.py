"""Signing exports: read back valid, parents carried, tampering caught, nothing half-written."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from studio import __version__
from studio.errors import ProvenanceError
from studio.media.encode import write_clip
from studio.provenance import identity as ident
from studio.provenance.manifest import AI_SOURCE, IngredientSource, TimelineTake, generated_take_plan, timeline_plan
from studio.provenance.reader import read_credentials, read_thumbnail
from studio.provenance.signing import sign_media
from studio.recipe import Recipe

REPO = Path(__file__).resolve().parent.parent


def _clip(path: Path, frames: int = 12, shade: int = 40) -> Path:
    pictures = np.full((frames, 48, 64, 3), shade, np.uint8)
    pictures[:, :, : 8 + frames] = 200  # something other than flat grey, so the thumbnail has content
    return write_clip(pictures, None, 24, 48000, path)


def _signed(tmp_path: Path, name: str, recipe: Recipe, parent: Path | None = None) -> Path:
    source = _clip(tmp_path / f"{name}.raw.mp4")
    plan = generated_take_plan(recipe, title=name,
                               parent=IngredientSource(parent, parent.stem, "parentOf") if parent else None)
    sign_media(source, tmp_path / f"{name}.mp4", plan)
    return tmp_path / f"{name}.mp4"


def test_signed_clip_reads_back_valid_with_actions_recipe_and_thumbnail(tmp_path: Path) -> None:
    recipe = Recipe(prompt="a red kite over the sea", model_id="tiny-random", seed=7, steps=4)
    out = _signed(tmp_path, "kite", recipe)
    report = read_credentials(out)
    assert report.state == "valid"
    assert report.issuer == ident.DEFAULT_NAME
    assert report.ai_generated
    assert [(a.action, a.digital_source_type) for a in report.manifest.actions] == [("c2pa.created", AI_SOURCE)]
    assert report.manifest.actions[0].software_agent == f"Kinora {__version__} (model tiny-random)"
    assert report.recipe == recipe
    assert report.signed_time is not None
    thumbnail = read_thumbnail(out, report.manifest.thumbnail)
    assert thumbnail is not None and thumbnail.startswith(b"\xff\xd8")  # a JPEG


def test_remix_lists_its_parent_as_parent_of_with_the_parents_manifest_intact(tmp_path: Path) -> None:
    parent_recipe = Recipe(prompt="a cat", model_id="tiny-random", seed=1)
    parent = _signed(tmp_path, "cat", parent_recipe)
    child_recipe = parent_recipe.replace(prompt="a cat in the rain", mode="video", source_path=str(parent), seed=2)
    child = _signed(tmp_path, "rain", child_recipe, parent=parent)
    report = read_credentials(child)
    assert report.state == "valid" and report.ai_generated and report.recipe == child_recipe
    assert [a.action for a in report.manifest.actions] == ["c2pa.opened", "c2pa.edited"]
    (ingredient,) = report.ingredients
    assert ingredient.relationship == "parentOf"
    assert ingredient.validation.state == "valid"
    assert ingredient.recipe == parent_recipe
    assert ingredient.manifest.ai_generated


def test_one_flipped_byte_in_the_media_data_reads_as_tampered(tmp_path: Path) -> None:
    out = _signed(tmp_path, "clip", Recipe(prompt="waves"))
    data = bytearray(out.read_bytes())
    mdat = data.rfind(b"mdat")
    data[mdat + 64] ^= 0x01
    out.write_bytes(bytes(data))
    report = read_credentials(out)
    assert report.state == "tampered"
    assert report.failing_check == "assertion.bmffHash.mismatch"


def test_a_file_signed_by_someone_else_reads_as_untrusted_signer(tmp_path: Path) -> None:
    other = ident.create_identity("Someone Else", folder=tmp_path / "other-identity")
    source = _clip(tmp_path / "raw.mp4")
    sign_media(source, tmp_path / "theirs.mp4", generated_take_plan(Recipe(prompt="x"), title="theirs"), identity=other)
    ident.ensure_identity()  # ours: a different root
    report = read_credentials(tmp_path / "theirs.mp4")
    assert report.state == "untrusted signer"
    assert report.failing_check == "signingCredential.untrusted"
    assert report.issuer == "Someone Else"


def test_timeline_lists_each_clip_as_component_with_all_recipes(tmp_path: Path) -> None:
    first, second = Recipe(prompt="one", seed=1), Recipe(prompt="two", seed=2)
    a, b = _signed(tmp_path, "a", first), _signed(tmp_path, "b", second)
    plan = timeline_plan("My cut", [TimelineTake(1, "a", first), TimelineTake(2, "b", second)],
                         [IngredientSource(a, "a", "componentOf"), IngredientSource(b, "b", "componentOf")])
    sign_media(_clip(tmp_path / "cut.raw.mp4"), tmp_path / "cut.mp4", plan)
    report = read_credentials(tmp_path / "cut.mp4")
    assert report.state == "valid" and report.ai_generated
    assert [i.relationship for i in report.ingredients] == ["componentOf", "componentOf"]
    assert [i.recipe for i in report.ingredients] == [first, second]
    assert [t.recipe for t in report.manifest.timeline_takes] == [first, second]
    assert "c2pa.edited" in [a.action for a in report.manifest.actions]


def test_a_failed_signing_leaves_no_file_behind(tmp_path: Path) -> None:
    source = _clip(tmp_path / "raw.mp4")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    plan = generated_take_plan(Recipe(prompt="x"), title="x",
                               parent=IngredientSource(tmp_path / "gone.mp4", "gone", "parentOf"))
    with pytest.raises(ProvenanceError, match="gone.mp4"):
        sign_media(source, out_dir / "x.mp4", plan)
    assert list(out_dir.iterdir()) == []


def test_signing_refuses_formats_it_cannot_sign(tmp_path: Path) -> None:
    (tmp_path / "clip.webm").write_bytes(b"not really")
    with pytest.raises(ProvenanceError, match="MP4"):
        sign_media(tmp_path / "clip.webm", tmp_path / "out.webm", generated_take_plan(Recipe(prompt="x"), title="x"))


MEMORY_PROBE = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    import av
    from studio.provenance.manifest import generated_take_plan
    from studio.provenance.signing import sign_media
    from studio.recipe import Recipe

    folder = Path(sys.argv[1])
    # A ~50 MB MP4 made by muxing large packets (the content need not decode, only be valid MP4 boxes).
    with av.open(str(folder / "seed.mp4")) as seed, av.open(str(folder / "big.mp4"), "w") as out:
        template = seed.streams.video[0]
        stream = out.add_stream_from_template(template)
        payload = bytes(range(256)) * 1024
        for i in range(200):
            packet = av.Packet(payload)
            packet.pts = packet.dts = i * 512
            packet.time_base, packet.stream, packet.is_keyframe = template.time_base, stream, i % 24 == 0
            out.mux(packet)
    size_mb = (folder / "big.mp4").stat().st_size / 2**20
    # Warm up on the small file, so imports (cv2, c2pa) are not counted as the big file's cost.
    sign_media(folder / "seed.mp4", folder / "seed-signed.mp4", generated_take_plan(Recipe(prompt="s"), title="s"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sign_media(folder / "big.mp4", folder / "signed.mp4", generated_take_plan(Recipe(prompt="big"), title="big"))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(size_mb, after - before)
""")


def test_signing_a_large_file_does_not_hold_it_twice_in_memory(tmp_path: Path) -> None:
    _clip(tmp_path / "seed.mp4", frames=2)
    ident.ensure_identity()
    result = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, check=True)
    size_mb, growth_mb = map(float, result.stdout.split())
    assert size_mb > 45
    # Peak memory grows by at most one copy of the file (c2pa-rs buffers the box it rewrites); two would fail.
    assert growth_mb < 1.5 * size_mb, f"signing {size_mb:.0f} MB grew peak memory by {growth_mb:.0f} MB"


def test_a_timeline_with_clips_in_formats_without_credentials_still_signs(tmp_path: Path, corpus: Path) -> None:
    components = [IngredientSource(corpus / "video" / "bear-vp9-odd-dimensions.webm", "bear", "componentOf"),
                  IngredientSource(corpus / "audio" / "bear.opus", "bear sound", "componentOf")]
    plan = timeline_plan("Mixed", [TimelineTake(None, "bear", None), TimelineTake(None, "bear sound", None)], components)
    report = sign_media(_clip(tmp_path / "raw.mp4"), tmp_path / "mixed.mp4", plan)
    assert report.state == "valid" and not report.ai_generated
    assert [(i.title, i.format, i.validation.state) for i in report.ingredients] == [
        ("bear", "video/webm", "none"), ("bear sound", "audio/ogg", "none")]
