"""The Prompt dock: everything a take needs, turned into a validated Recipe on Generate.

The panel never calls the engine: `generate_requested(recipe, parent_take_id, remix_kind)` is
emitted and the window submits it on a worker thread.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.errors import RecipeError
from studio.recipe import REMIX_MODES, Recipe, size_for_aspect
from studio.ui.chrome import TextField, button_face
from studio.ui.image_drop import ImageDropZone
from studio.ui.model_choices import TINY_MODEL, ModelChoice, default_model, expectation_text, load_styles
from studio.ui.remix import REMIXES, RemixMode, remix_mode
from studio.ui.tasks import run_async
from studio.ui.theme import Tone, icon, set_flag, tone

ASPECT_CHOICES = ("16:9", "9:16", "1:1")
RESOLUTIONS = (32, 64, 128, 256, 384, 512, 720, 1080)  # short side in pixels; tiny ones are for tiny-random
FPS_CHOICES = (8, 12, 16, 24, 25, 30)
NO_STYLE = "No style"


def random_seed() -> int:
    return random.randrange(0, 2**31 - 1)


class RemixBox(QGroupBox):
    """The Prompt panel's Remix group: the take being remixed, the remix mode, its hint and its settings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Remix", parent)
        self.remix_label = QLabel(wordWrap=True)
        self.remix_mode = QComboBox()
        for mode in REMIXES:
            self.remix_mode.addItem(mode.label, mode.kind)
        self.remix_hint = tone(QLabel(wordWrap=True), Tone.HINT)
        self.strength = QDoubleSpinBox(minimum=0.05, maximum=1.0, singleStep=0.05, value=0.6, decimals=2)
        self.range_from = QDoubleSpinBox(minimum=0.0, maximum=20.0, singleStep=0.5, suffix=" s")
        self.range_to = QDoubleSpinBox(minimum=0.0, maximum=20.0, singleStep=0.5, value=1.0, suffix=" s")
        self.range_row = QWidget()
        range_layout = QHBoxLayout(self.range_row)
        range_layout.setContentsMargins(0, 0, 0, 0)
        range_layout.addWidget(QLabel("From"))
        range_layout.addWidget(self.range_from)
        range_layout.addWidget(QLabel("to"))
        range_layout.addWidget(self.range_to)
        self.strength_row = QWidget()
        strength_layout = QHBoxLayout(self.strength_row)
        strength_layout.setContentsMargins(0, 0, 0, 0)
        strength_layout.addWidget(QLabel("Strength"))
        strength_layout.addWidget(self.strength)
        self.stop = QPushButton("Stop remixing")
        layout = QVBoxLayout(self)
        for widget in (self.remix_label, self.remix_mode, self.remix_hint, self.strength_row, self.range_row,
                       self.stop):
            layout.addWidget(widget)


class AdvancedRows:
    """The rows of the Prompt panel's Advanced group (steps, guidance, prompt enhancement), in its form."""

    def __init__(self, form: QFormLayout) -> None:
        self.steps = QSpinBox(minimum=0, maximum=500, specialValueText="model default")
        self.guidance = QDoubleSpinBox(minimum=0.0, maximum=50.0, singleStep=0.5, decimals=1,
                                       specialValueText="model default")
        self.enhance = QCheckBox("Enhance the prompt",
                                 toolTip="The model's prompt enhancer expands the prompt before generating "
                                         "(LTX-2.3 and LTX-2.5 folders that ship one)")
        form.addRow("Steps", self.steps)
        form.addRow("Guidance", self.guidance)
        form.addRow("", self.enhance)
        self.form = form

    def set_visible(self, on: bool) -> None:
        for widget in (self.steps, self.guidance, self.enhance):
            widget.setVisible(on)
        for row in range(self.form.rowCount()):
            label = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if label is not None and label.widget() is not None:
                label.widget().setVisible(on)


class Part:
    """A widget of a part of the panel made on first use (`remix_box`, `advanced_rows`), under the same name on
    the panel: reaching for it makes the part."""

    def __init__(self, part: str) -> None:
        self.part = part

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, panel: PromptPanel | None, owner: type | None = None) -> Any:
        if panel is None:
            return self
        return getattr(getattr(panel, self.part), self.name)


class PromptPanel(QWidget):
    """Prompt, settings and Generate; `fill_from_take` prepares a remix."""

    generate_requested = Signal(object, object, object)  # Recipe, parent take id | None, remix kind | None
    download_requested = Signal(str)  # a model id the user wants fetched (the window opens the Models page)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models: dict[str, ModelChoice] = {}
        self._remix_parent: int | None = None
        self._remix_base: Recipe | None = None

        self.prompt = TextField(placeholderText="Describe the clip: subject, action, place, camera, sound…")
        self.prompt.setMinimumHeight(70)
        self.negative = TextField(placeholderText="What to avoid (optional)")
        self.negative.setMaximumHeight(48)

        self.duration = QSlider(Qt.Orientation.Horizontal, minimum=1, maximum=20, value=4)
        self.duration_label = QLabel()
        self.duration_label.setText("4 s")
        # Models with a duration predictor (LTX-2.5) may pick the length: the slider is then the most it may be.
        self.auto_length = QCheckBox("Auto", toolTip="Let the model choose the length from the prompt, at most "
                                     "the slider's value (models with a duration head: LTX-2.5)")
        self.auto_length.hide()  # shown for a model that can (see _model_changed)
        self.auto_length.toggled.connect(lambda _on: self._show_duration())
        self.duration.valueChanged.connect(lambda _v: self._show_duration())
        self.aspect = QComboBox()
        self.aspect.addItems(ASPECT_CHOICES)
        self.resolution = QComboBox()
        for value in RESOLUTIONS:
            self.resolution.addItem(f"{value}p", value)
        self.resolution.setCurrentIndex(RESOLUTIONS.index(512))
        self.fps = QComboBox()
        for value in FPS_CHOICES:
            self.fps.addItem(f"{value} fps", value)
        self.fps.setCurrentIndex(FPS_CHOICES.index(24))
        self.style_box = QComboBox()
        self.style_box.addItem(NO_STYLE, None)
        self._styles_set = False  # the presets come with set_styles (the window reads them after its first frame)

        self.seed = QLineEdit(placeholderText="random")
        self.seed.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,18}"), self))
        self.seed_lock = button_face(QToolButton(checkable=True, toolTip="Lock the seed to make the same take again"))
        self.seed_lock.setIcon(icon("unlock"))
        self.seed_lock.toggled.connect(self._seed_lock_toggled)
        self.seed.setEnabled(False)  # unlocked: the engine picks a seed and records it
        self.dice = button_face(QToolButton(icon=icon("dice"), toolTip="Roll a new seed (Ctrl+R)"))
        self.dice.clicked.connect(self.roll_seed)

        self.advanced = QGroupBox("Advanced", checkable=True, checked=False)
        self._advanced_form = QFormLayout(self.advanced)  # its rows are made when it is first opened (advanced_rows)
        self._advanced_rows: AdvancedRows | None = None
        self._model_defaults: tuple[int, float] = (0, 0.0)  # the chosen model's steps and guidance
        self.advanced.toggled.connect(self._advanced_toggled)

        self.model = QComboBox()
        # Long model titles are elided in the box (the list shows them whole): they set the panel's width otherwise,
        # which scrolled sideways in the default layout.
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(12)
        self.model.currentIndexChanged.connect(self._model_changed)
        self.model_note = tone(QLabel(wordWrap=True,
                                      textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse), Tone.NOTICE)
        self.model_note.hide()
        self.download_button = QPushButton(icon("import"), "Download…")
        self.download_button.setToolTip("Open the Models page and download this model (resumable)")
        self.download_button.clicked.connect(lambda: self.download_requested.emit(self.model.currentData() or ""))
        self.download_button.hide()
        # The plan, peak VRAM and time this job should take here; computed off the GUI thread (imports torch).
        self.expectation = tone(QLabel(wordWrap=True), Tone.HINT)
        self._expect_timer = QTimer(self, singleShot=True, interval=150)
        self._expect_timer.timeout.connect(self._ask_expectation)
        self._expect_asked = 0
        self.image = ImageDropZone()

        self._remix_box: RemixBox | None = None  # made when a remix is first prepared (see remix_box)

        self.error = tone(QLabel(wordWrap=True), Tone.ERROR)
        self.error.hide()
        self.generate_button = tone(QPushButton(icon("generate"), "Generate", objectName="generateButton"), Tone.ACCENT)
        self.generate_button.setToolTip("Generate a take (Ctrl+Enter)")
        self.generate_button.clicked.connect(self.generate)

        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.seed_lock)
        seed_row.addWidget(self.dice)
        duration_row = QHBoxLayout()
        duration_row.addWidget(self.duration, 1)
        duration_row.addWidget(self.duration_label)
        duration_row.addWidget(self.auto_length)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Model", self.model)
        form.addRow("", self.model_note)
        form.addRow("", self.download_button)
        form.addRow("Duration", duration_row)
        form.addRow("Aspect", self.aspect)
        form.addRow("Resolution", self.resolution)
        form.addRow("Frame rate", self.fps)
        form.addRow("Style", self.style_box)
        form.addRow("Seed", seed_row)

        body = QWidget()
        layout = self._body_layout = QVBoxLayout(body)  # the Remix box goes first when it is made
        layout.addWidget(QLabel("Prompt"))
        layout.addWidget(self.prompt, 2)
        layout.addWidget(QLabel("Negative prompt"))
        layout.addWidget(self.negative)
        layout.addWidget(self.image)
        layout.addLayout(form)
        layout.addWidget(self.advanced)
        layout.addStretch(1)
        scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.error)
        outer.addWidget(self.expectation)
        outer.addWidget(self.generate_button)
        outer.setContentsMargins(6, 0, 6, 6)
        for edit in (self.prompt, self.negative):
            edit.textChanged.connect(self._clear_error)
        self.duration.valueChanged.connect(self._expect_timer.start)
        for box in (self.aspect, self.resolution, self.fps):
            box.currentIndexChanged.connect(self._expect_timer.start)

    # -- models ---------------------------------------------------------------------------------
    def set_models(self, choices: list[ModelChoice], select: str | None = None) -> None:
        """Fill the model picker (from `load_model_choices`, run off the GUI thread)."""
        self._models = {c.id: c for c in choices}
        keep = select or self.model.currentData()
        self.model.blockSignals(True)
        self.model.clear()
        for choice in choices:
            self.model.addItem(icon("play") if choice.installed else icon("import"), choice.label, choice.id)
        self.model.blockSignals(False)
        chosen = keep if keep in self._models else (default_model(choices).id if default_model(choices) else None)
        if chosen is not None:
            self.model.setCurrentIndex(self.model.findData(chosen))
        self._model_changed()

    def set_styles(self, styles: list[tuple[str, str]]) -> None:
        """Fill the style picker with (name, title) presets (`load_styles`, run off the GUI thread)."""
        chosen = self.style_box.currentData()
        self.style_box.blockSignals(True)
        self.style_box.clear()
        self.style_box.addItem(NO_STYLE, None)
        for style_id, label in styles:
            self.style_box.addItem(label, style_id)
        self.style_box.setCurrentIndex(max(0, self.style_box.findData(chosen)))
        self.style_box.blockSignals(False)
        self._styles_set = True

    def current_model(self) -> ModelChoice | None:
        return self._models.get(self.model.currentData())

    def _model_changed(self, *_args: object) -> None:
        choice = self.current_model()
        if choice is None:
            self.model_note.setText("No models are registered.")
            self.model_note.show()
            return
        self.download_button.setVisible(not choice.installed)
        self.auto_length.setVisible(choice.chooses_length)
        self._show_duration()
        if not choice.installed:
            size = f" ({choice.download_gb:g} GB download)" if choice.download_gb else ""
            state = "incomplete" if choice.state == "incomplete" else "not installed"
            self.model_note.setText(f"{choice.title} is {state}{size}. Download it here, or with:\n    "
                                    f"{choice.pull_command}\nor pick tiny-random to try the studio without weights.")
            self.model_note.show()
        elif choice.id == TINY_MODEL:
            self.model_note.setText("tiny-random has random weights: it makes noise. It is here to try the studio "
                                    "without downloading a model.")
            self.model_note.show()
        else:
            self.model_note.hide()
        if choice.native_fps and int(choice.native_fps) in FPS_CHOICES:
            self.fps.setCurrentIndex(FPS_CHOICES.index(int(choice.native_fps)))
        if choice.native_height and choice.native_height in RESOLUTIONS:
            self.resolution.setCurrentIndex(RESOLUTIONS.index(choice.native_height))
        # Advanced starts from what this model does by default (tiny-random: a few steps, a big model: dozens).
        self._model_defaults = (choice.default_steps or 0, choice.default_guidance or 0.0)
        if self._advanced_rows is not None:
            self._advanced_rows.steps.setValue(self._model_defaults[0])
            self._advanced_rows.guidance.setValue(self._model_defaults[1])
        self._expect_timer.start()

    def _ask_expectation(self) -> None:
        """Ask a worker what this job needs here; only the latest answer is shown."""
        choice = self.current_model()
        if choice is None:
            return
        width, height = size_for_aspect(self.aspect.currentText(), int(self.resolution.currentData()))
        self._expect_asked += 1
        asked, seconds, fps = self._expect_asked, float(self.duration.value()), float(self.fps.currentData())
        run_async(lambda: expectation_text(choice.id, width, height, seconds, fps),
                  lambda text: self._show_expectation(asked, text),
                  lambda exc: self._show_expectation(asked, f"No estimate: {exc}"), receiver=self)

    def _show_expectation(self, asked: int, text: str) -> None:
        if asked == self._expect_asked:
            self.expectation.setText(text)

    # -- seed -----------------------------------------------------------------------------------
    def roll_seed(self) -> None:
        """A new random seed, locked so it is the one used."""
        self.seed.setText(str(random_seed()))
        self.seed_lock.setChecked(True)

    def _seed_lock_toggled(self, locked: bool) -> None:
        self.seed_lock.setIcon(icon("lock" if locked else "unlock"))
        self.seed.setEnabled(locked)
        if locked and not self.seed.text():
            self.seed.setText(str(random_seed()))

    @property
    def advanced_rows(self) -> AdvancedRows:
        """The Advanced group's rows, hidden while it is closed: made when it is first opened (or when code first
        reaches for one of them), showing the chosen model's defaults."""
        if self._advanced_rows is None:
            rows = self._advanced_rows = AdvancedRows(self._advanced_form)
            rows.steps.setValue(self._model_defaults[0])
            rows.guidance.setValue(self._model_defaults[1])
            rows.set_visible(self.advanced.isChecked())
        return self._advanced_rows

    steps = Part("advanced_rows")
    guidance = Part("advanced_rows")
    enhance = Part("advanced_rows")

    def _advanced_toggled(self, on: bool) -> None:
        if on or self._advanced_rows is not None:
            self.advanced_rows.set_visible(on)

    # -- recipe ---------------------------------------------------------------------------------
    def build_recipe(self) -> Recipe:
        """The recipe the panel describes; RecipeError (with a readable message) when it is invalid."""
        choice = self.current_model()
        if choice is None:
            raise RecipeError("Choose a model first.")
        width, height = size_for_aspect(self.aspect.currentText(), int(self.resolution.currentData()))
        seed = int(self.seed.text()) if self.seed_lock.isChecked() and self.seed.text() else None
        mode, extra = self._mode_fields()
        return Recipe(
            prompt=self.prompt.toPlainText().strip(), negative_prompt=self.negative.toPlainText().strip(),
            model_id=choice.id, seconds=float(self.duration.value()), fps=float(self.fps.currentData()),
            width=width, height=height, seed=seed,
            steps=self.steps.value() or None if self.advanced.isChecked() else None,
            guidance=self.guidance.value() or None if self.advanced.isChecked() else None,
            auto_seconds=self._auto_length() and mode not in REMIX_MODES, enhance_prompt=self.advanced.isChecked() and self.enhance.isChecked(),
            style=self.style_box.currentData(), mode=mode, **extra)

    def _auto_length(self) -> bool:
        choice = self.current_model()
        return bool(choice and choice.chooses_length and self.auto_length.isChecked())

    def _show_duration(self) -> None:
        seconds = self.duration.value()
        self.duration_label.setText(f"≤ {seconds} s" if self._auto_length() else f"{seconds} s")

    def _mode_fields(self) -> tuple[str, dict[str, Any]]:
        image = str(self.image.path) if self.image.path else None
        if self._remix_parent is None:
            return ("image", {"image": image}) if image else ("text", {})
        mode = self.current_remix_mode()
        base_mode = self._remix_base.mode if self._remix_base else "text"
        recipe_mode = mode.recipe_mode or (base_mode if base_mode in ("text", "image") else "text")
        extra: dict[str, Any] = {"source_take_id": self._remix_parent}
        if recipe_mode == "image":
            extra["image"] = image or (self._remix_base.image if self._remix_base else None)
        if recipe_mode == "video":
            extra["strength"] = self.strength.value()
        if recipe_mode == "retake":
            extra.update(range_from=self.range_from.value(), range_to=self.range_to.value())
        return recipe_mode, extra

    def generate(self) -> None:
        """Validate and ask for the take; explain instead of submitting when the model is missing."""
        choice = self.current_model()
        if choice is not None and not choice.installed:
            self.show_error(f"{choice.title} is not installed, so it cannot generate. Download it (the button "
                            f"above, or `{choice.pull_command}`), or choose tiny-random.")
            return
        try:
            recipe = self.build_recipe()
        except RecipeError as exc:
            self.show_error(str(exc))
            return
        self._clear_error()
        kind = self.current_remix_mode().kind if self._remix_parent is not None else None
        self.generate_requested.emit(recipe, self._remix_parent, kind)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        set_flag(self.prompt, "invalid", "empty" in text.lower())

    def _clear_error(self) -> None:
        if not self.error.isHidden():
            self.error.hide()
            set_flag(self.prompt, "invalid", False)

    # -- remix ----------------------------------------------------------------------------------
    def fill_from_recipe(self, recipe: Recipe) -> None:
        """Show a recipe's settings in the panel."""
        self.prompt.setPlainText(recipe.prompt)
        self.negative.setPlainText(recipe.negative_prompt)
        self.duration.setValue(max(1, min(20, round(recipe.seconds))))
        self.auto_length.setChecked(recipe.auto_seconds)
        aspect = _closest_aspect(recipe.width, recipe.height)
        self.aspect.setCurrentText(aspect)
        short = min(recipe.width, recipe.height)
        self.resolution.setCurrentIndex(min(range(len(RESOLUTIONS)), key=lambda i: abs(RESOLUTIONS[i] - short)))
        fps = min(FPS_CHOICES, key=lambda f: abs(f - recipe.fps))
        self.fps.setCurrentIndex(FPS_CHOICES.index(fps))
        if recipe.model_id in self._models:
            self.model.setCurrentIndex(self.model.findData(recipe.model_id))
        if recipe.style and not self._styles_set:  # a recipe shown before the window read the presets
            self.set_styles(load_styles())
        style_index = self.style_box.findData(recipe.style) if recipe.style else 0
        self.style_box.setCurrentIndex(max(0, style_index))
        if recipe.seed is not None:
            self.seed.setText(str(recipe.seed))
        if recipe.enhance_prompt or self._advanced_rows is not None:  # unmade rows are off already
            self.enhance.setChecked(recipe.enhance_prompt)
        if recipe.steps or recipe.guidance or recipe.enhance_prompt:
            self.advanced.setChecked(True)
            self.steps.setValue(recipe.steps or 0)
            self.guidance.setValue(recipe.guidance or 0.0)
        self.image.set_path(Path(recipe.image) if recipe.image else None)

    def fill_from_take(self, take_id: int, recipe: Recipe | None, title: str, kind: str = "new_seed") -> None:
        """Prepare a remix of a take: its recipe (when it has one) and the remix modes."""
        self._remix_parent = take_id
        self._remix_base = recipe
        if recipe is not None:
            self.fill_from_recipe(recipe)
        self.remix_label.setText(f"Remixing take {take_id}: {title[:60]}")
        self.remix_mode.setCurrentIndex(self.remix_mode.findData(kind))
        self.range_to.setValue(min(self.range_to.maximum(), float(recipe.seconds) if recipe else 1.0))
        self.remix_box.show()
        self._remix_mode_changed()
        self.prompt.setFocus()

    def current_remix_mode(self) -> RemixMode:
        return remix_mode(self.remix_mode.currentData())

    def clear_remix(self) -> None:
        self._remix_parent = None
        self._remix_base = None
        if self._remix_box is not None:
            self._remix_box.hide()

    @property
    def remix_parent(self) -> int | None:
        return self._remix_parent

    @property
    def remix_box(self) -> RemixBox:
        """The Remix group at the top of the panel, hidden until a remix is prepared: made then (or when code
        first reaches for one of its widgets), so the launch builds only what is on screen."""
        if self._remix_box is None:
            box = self._remix_box = RemixBox()
            box.hide()
            box.stop.clicked.connect(self.clear_remix)
            box.remix_mode.currentIndexChanged.connect(self._remix_mode_changed)
            self._body_layout.insertWidget(0, box)
        return self._remix_box

    # The Remix group's widgets, as the panel's own attributes (each makes the group on first use).
    remix_label = Part("remix_box")
    remix_mode = Part("remix_box")
    remix_hint = Part("remix_box")
    strength = Part("remix_box")
    strength_row = Part("remix_box")
    range_from = Part("remix_box")
    range_to = Part("remix_box")
    range_row = Part("remix_box")

    def _remix_mode_changed(self, *_args: object) -> None:
        mode = self.current_remix_mode()
        self.remix_hint.setText(mode.hint)
        self.strength_row.setVisible(mode.recipe_mode == "video")
        self.range_row.setVisible(mode.recipe_mode == "retake")
        if mode.keeps_seed and self._remix_base is not None and self._remix_base.seed is not None:
            self.seed.setText(str(self._remix_base.seed))
            self.seed_lock.setChecked(True)
        elif not mode.keeps_seed:
            self.seed_lock.setChecked(False)
            self.seed.clear()


def _closest_aspect(width: int, height: int) -> str:
    ratio = width / max(1, height)
    return min(ASPECT_CHOICES, key=lambda a: abs(ratio - int(a.split(":")[0]) / int(a.split(":")[1])))
