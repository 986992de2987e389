"""The Content Credentials panel and the lineage view, with tiny signed files and a real library."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.library.library import Library
from studio.media.encode import write_clip
from studio.provenance.manifest import IngredientSource, generated_take_plan
from studio.provenance.signing import sign_media
from studio.recipe import Recipe
from studio.ui.credentials_panel import CredentialsPanel
from studio.ui.lineage_view import LineageView


def _clip(path: Path, shade: int = 90) -> Path:
    return write_clip(np.full((6, 32, 48, 3), shade, np.uint8), None, 24, 48000, path)


def _signed(tmp_path: Path, name: str, recipe: Recipe, parent: Path | None = None) -> Path:
    plan = generated_take_plan(recipe, title=name,
                               parent=IngredientSource(parent, parent.stem, "parentOf") if parent else None)
    sign_media(_clip(tmp_path / f"{name}.raw.mp4"), tmp_path / f"{name}.mp4", plan)
    return tmp_path / f"{name}.mp4"


def test_panel_shows_signer_recipe_and_parent_of_a_remix(qtbot, tmp_path: Path) -> None:
    parent = _signed(tmp_path, "cat", Recipe(prompt="a cat", seed=1))
    child = _signed(tmp_path, "rain", Recipe(prompt="a cat in the rain", seed=2), parent=parent)
    panel = CredentialsPanel()
    qtbot.addWidget(panel)
    panel.show_file(child)
    qtbot.waitUntil(lambda: panel.report is not None, timeout=10000)
    assert "verified" in panel.banner.text()
    assert panel.ai.text() == "Yes"
    assert "a cat in the rain" in panel.recipe.text()
    top = panel.ingredients.topLevelItem(0)
    assert (top.text(0), top.text(1), top.text(2), top.text(3)) == ("cat", "parentOf", "valid", "a cat")
    assert not panel.thumbnail.isHidden()
    with qtbot.waitSignal(panel.remix_requested) as signal:
        panel.remix_button.click()
    assert signal.args[0].prompt == "a cat in the rain"


def test_panel_flags_a_tampered_file_in_red_with_the_failing_check(qtbot, tmp_path: Path) -> None:
    out = _signed(tmp_path, "clip", Recipe(prompt="waves"))
    data = bytearray(out.read_bytes())
    data[data.rfind(b"mdat") + 40] ^= 0x01
    out.write_bytes(bytes(data))
    panel = CredentialsPanel()
    qtbot.addWidget(panel)
    panel.show_file(out)
    qtbot.waitUntil(lambda: panel.report is not None, timeout=10000)
    assert "TAMPERED" in panel.banner.text() and "assertion.bmffHash.mismatch" in panel.banner.text()
    assert "#b00020" in panel.banner.styleSheet()


def test_panel_says_plainly_when_a_file_has_no_credentials(qtbot, tmp_path: Path) -> None:
    panel = CredentialsPanel()
    qtbot.addWidget(panel)
    panel.show_file(_clip(tmp_path / "plain.mp4"))
    qtbot.waitUntil(lambda: panel.report is not None, timeout=10000)
    assert "No Content Credentials" in panel.banner.text()
    assert not panel.remix_button.isEnabled()


def _done_take(lib: Library, tmp_path: Path, recipe: Recipe, parent: int | None = None) -> int:
    take = lib.create_take(recipe, parent_take_id=parent, remix_kind="extend" if parent else None)
    lib.complete_take(take.id, _clip(tmp_path / f"take{take.id}.mp4", shade=30 + 40 * take.id), recipe=recipe,
                      timings={})
    return take.id


def test_lineage_view_shows_ancestors_above_and_descendants_below(qtbot, lib: Library, tmp_path: Path) -> None:
    grandparent = _done_take(lib, tmp_path, Recipe(prompt="first"))
    parent = _done_take(lib, tmp_path, Recipe(prompt="second"), grandparent)
    child = _done_take(lib, tmp_path, Recipe(prompt="third"), parent)
    view = LineageView(lib, parent)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 1, timeout=10000)
    top = view.tree.topLevelItem(0)
    assert top.text(0) == f"#{grandparent} first"
    shown = top.child(0)
    assert shown.text(0) == f"#{parent} second" and shown.font(0).bold() and shown.text(1) == "Extend"
    assert shown.child(0).text(0) == f"#{child} third"
    qtbot.waitUntil(lambda: not shown.icon(0).isNull(), timeout=10000)  # the poster arrived
    with qtbot.waitSignal(view.take_activated) as signal:
        view.tree.itemDoubleClicked.emit(shown.child(0), 0)
    assert signal.args == [child]
    view.posters.wait()
