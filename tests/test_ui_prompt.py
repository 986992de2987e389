"""The Prompt dock: the recipe it builds, inline validation, missing models explained, and remix modes."""

from __future__ import annotations

import pytest

from studio.app import make_application
from studio.recipe import Recipe
from studio.ui.model_choices import ModelChoice, default_model, load_model_choices
from studio.ui.prompt_panel import PromptPanel

TINY = ModelChoice("tiny-random", "Tiny random", True, None, None, 32, 24.0, needs_weights=False)
LTX = ModelChoice("ltx-2", "LTX-2", False, 40.0, 80.0, 512, 24.0, needs_weights=True)


@pytest.fixture
def panel(qtbot):
    make_application()
    widget = PromptPanel()
    qtbot.addWidget(widget)
    widget.set_models([LTX, TINY])
    return widget


def emitted(qtbot, panel: PromptPanel) -> list[tuple]:
    got: list[tuple] = []
    panel.generate_requested.connect(lambda *args: got.append(args))
    panel.generate()
    return got


def test_the_panel_builds_the_recipe_it_shows(panel):
    panel.prompt.setPlainText("  a paper boat in a storm  ")
    panel.negative.setPlainText("blurry")
    panel.duration.setValue(6)
    panel.aspect.setCurrentText("9:16")
    panel.resolution.setCurrentIndex(panel.resolution.findData(512))
    panel.fps.setCurrentIndex(panel.fps.findData(12))
    panel.seed_lock.setChecked(True)
    panel.seed.setText("1234")
    panel.advanced.setChecked(True)
    panel.steps.setValue(7)
    recipe = panel.build_recipe()
    assert recipe.prompt == "a paper boat in a storm"
    assert (recipe.negative_prompt, recipe.model_id) == ("blurry", "tiny-random")
    assert (recipe.seconds, recipe.fps, recipe.width, recipe.height) == (6.0, 12.0, 512, 896)
    assert (recipe.seed, recipe.steps, recipe.guidance, recipe.mode) == (1234, 7, None, "text")
    panel.seed_lock.setChecked(False)
    panel.advanced.setChecked(False)
    assert panel.build_recipe().seed is None and panel.build_recipe().steps is None


def test_an_empty_prompt_is_shown_inline_and_nothing_is_submitted(qtbot, panel):
    assert emitted(qtbot, panel) == []
    assert panel.error.isVisibleTo(panel) and "prompt is empty" in panel.error.text()
    panel.prompt.setPlainText("a cat")
    assert not panel.error.isVisibleTo(panel)  # typing clears it


def test_a_model_that_is_not_installed_explains_how_to_get_it(qtbot, panel):
    panel.prompt.setPlainText("a cat")
    panel.model.setCurrentIndex(panel.model.findData("ltx-2"))
    assert "kinora models pull ltx-2" in panel.model_note.text()
    assert emitted(qtbot, panel) == []
    assert "kinora models pull ltx-2" in panel.error.text()


def test_without_weights_the_default_model_is_tiny_random():
    choices = load_model_choices()  # the real registry; this machine has no weights
    assert default_model(choices).id == "tiny-random"
    assert all(c.installed for c in choices if not c.needs_weights)


def test_dice_locks_a_fresh_seed(panel):
    panel.roll_seed()
    first = panel.seed.text()
    assert panel.seed_lock.isChecked() and first.isdigit()
    panel.prompt.setPlainText("a cat")
    assert panel.build_recipe().seed == int(first)


def test_remix_modes_turn_the_take_into_the_right_recipe(qtbot, panel):
    parent = Recipe(prompt="a fox runs", model_id="tiny-random", seconds=3, fps=24, width=32, height=32, seed=99)
    panel.fill_from_take(7, parent, "a fox runs", "new_seed")
    assert panel.prompt.toPlainText() == "a fox runs" and panel.remix_box.isVisibleTo(panel)
    got = emitted(qtbot, panel)
    recipe, parent_id, kind = got[0]
    assert (recipe.mode, recipe.seed, parent_id, kind) == ("text", None, 7, "new_seed")

    panel.remix_mode.setCurrentIndex(panel.remix_mode.findData("edit_prompt"))
    panel.prompt.setPlainText("a fox runs in the snow")
    recipe, _, kind = emitted(qtbot, panel)[0]
    assert (recipe.prompt, recipe.seed, kind) == ("a fox runs in the snow", 99, "edit_prompt")

    panel.remix_mode.setCurrentIndex(panel.remix_mode.findData("extend"))
    recipe, _, kind = emitted(qtbot, panel)[0]
    assert (recipe.mode, recipe.source_take_id, kind) == ("extend", 7, "extend")

    panel.remix_mode.setCurrentIndex(panel.remix_mode.findData("video"))
    panel.strength.setValue(0.3)
    recipe, _, _ = emitted(qtbot, panel)[0]
    assert (recipe.mode, recipe.strength) == ("video", 0.3)

    panel.remix_mode.setCurrentIndex(panel.remix_mode.findData("retake"))
    assert panel.range_row.isVisibleTo(panel)
    panel.range_from.setValue(1.0)
    panel.range_to.setValue(2.5)
    recipe, _, _ = emitted(qtbot, panel)[0]
    assert (recipe.mode, recipe.range_from, recipe.range_to) == ("retake", 1.0, 2.5)

    panel.clear_remix()
    recipe, parent_id, kind = emitted(qtbot, panel)[0]
    assert (recipe.mode, parent_id, kind) == ("text", None, None)


def test_a_dropped_image_makes_an_image_to_video_recipe(panel, tmp_path):
    from PySide6.QtGui import QColor, QImage

    image = QImage(8, 8, QImage.Format.Format_RGB888)
    image.fill(QColor("red"))
    path = tmp_path / "still.png"
    image.save(str(path))
    panel.prompt.setPlainText("the still comes alive")
    panel.image.set_path(path)
    recipe = panel.build_recipe()
    assert (recipe.mode, recipe.image) == ("image", str(path))


def test_advanced_steps_and_guidance_follow_the_chosen_models_defaults(qtbot):
    make_application()
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.set_models(load_model_choices(), select="tiny-random")
    tiny = panel.current_model()
    assert tiny.default_steps is not None and tiny.default_steps <= 8  # noise in a handful of steps
    assert (panel.steps.value(), panel.guidance.value()) == (tiny.default_steps, tiny.default_guidance)
    panel.model.setCurrentIndex(panel.model.findData("ltx-2"))
    ltx = panel.current_model()
    assert (panel.steps.value(), panel.guidance.value()) == (ltx.default_steps, ltx.default_guidance)
    assert ltx.default_steps != tiny.default_steps
    panel.model.setCurrentIndex(panel.model.findData("tiny-random"))
    panel.advanced.setChecked(True)
    panel.prompt.setPlainText("a kite")
    assert panel.build_recipe().steps == tiny.default_steps  # what the field shows is what runs


def test_a_missing_model_offers_the_download_and_says_what_a_job_needs(qtbot, panel):
    panel.model.setCurrentIndex(panel.model.findData("ltx-2"))
    assert panel.download_button.isVisibleTo(panel)
    with qtbot.waitSignal(panel.download_requested) as asked:
        panel.download_button.click()
    assert asked.args == ["ltx-2"]
    # The expectation is computed on a worker from the planner; this machine has no GPU.
    qtbot.waitUntil(lambda: "No GPU found" in panel.expectation.text(), timeout=20000)
    panel.model.setCurrentIndex(panel.model.findData("tiny-random"))
    assert not panel.download_button.isVisibleTo(panel)


def test_the_expectation_follows_the_card_and_the_job(qtbot, panel, monkeypatch):
    import studio.engine.device_probe as device_probe
    import studio.engine.memory as memory

    # The panel reads the card through the child-process check (device_probe), not detect_device in-process.
    monkeypatch.setattr(device_probe, "probe_device",
                        lambda: memory.DeviceInfo("cuda", "NVIDIA H100 80GB HBM3", 80, 80, 100, True, 128))
    panel.model.setCurrentIndex(panel.model.findData("ltx-2"))
    panel.resolution.setCurrentIndex(panel.resolution.findData(512))
    panel.aspect.setCurrentText("16:9")
    # Wait for ltx-2's own line: tiny-random's (shown first, no time estimate) names the same policy and card.
    qtbot.waitUntil(lambda: "of denoising on NVIDIA H100" in panel.expectation.text(), timeout=20000)
    assert "memory policy none on this 80 GB card" in panel.expectation.text()


def test_auto_length_and_prompt_enhancement_reach_the_recipe_only_where_the_model_can(qtbot, panel):
    # These two options were recipe/CLI-only: the panel always sent a fixed length and no enhancement.
    picks = ModelChoice("ltx-2.5", "LTX-2.5", True, None, None, 512, 24.0, chooses_length=True)
    panel.set_models([picks, TINY], select="ltx-2.5")
    panel.prompt.setPlainText("a kite over the dunes")
    assert panel.auto_length.isVisibleTo(panel)
    panel.auto_length.setChecked(True)
    panel.duration.setValue(9)
    assert panel.duration_label.text() == "≤ 9 s"
    recipe = panel.build_recipe()
    assert (recipe.auto_seconds, recipe.seconds) == (True, 9.0)  # the slider is the most it may choose
    panel.advanced.setChecked(True)
    panel.enhance.setChecked(True)
    assert panel.build_recipe().enhance_prompt is True
    panel.advanced.setChecked(False)  # Advanced off: its options are off too
    assert panel.build_recipe().enhance_prompt is False
    # A model without a duration head never gets an automatic length, whatever the box said before.
    panel.model.setCurrentIndex(panel.model.findData("tiny-random"))
    assert not panel.auto_length.isVisibleTo(panel)
    assert panel.build_recipe().auto_seconds is False and panel.duration_label.text() == "9 s"
    # Remixing into a mode that keeps the parent's length: no automatic length either (the recipe refuses it).
    panel.model.setCurrentIndex(panel.model.findData("ltx-2.5"))
    panel.fill_from_take(7, Recipe(prompt="p", model_id="ltx-2.5", auto_seconds=True), "parent", "extend")
    assert panel.build_recipe().auto_seconds is False


def test_the_model_list_says_which_models_pick_their_own_length():
    choices = {choice.id: choice for choice in load_model_choices()}
    assert choices["ltx-2.5"].chooses_length
    assert not choices["ltx-2.3"].chooses_length and not choices["tiny-random"].chooses_length
