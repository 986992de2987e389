"""The Inspector dock: the selected take's recipe, status, timings and media facts."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from studio.ui.library.query import TakeItem
from studio.ui.tasks import run_async
from studio.ui.theme import Tone, tone

if TYPE_CHECKING:
    from pathlib import Path

    from studio.library import Library, MediaRecord
    from studio.recipe import Recipe


def _when(seconds: float | None) -> str:
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S") if seconds else "—"


def recipe_rows(recipe: Recipe) -> list[tuple[str, str]]:
    """Readable (label, value) rows of a Recipe."""
    rows = [("Prompt", recipe.prompt), ("Negative", recipe.negative_prompt or "—"), ("Model", recipe.model_id),
            ("Mode", recipe.mode), ("Duration", f"{recipe.seconds:g} s"), ("Size", f"{recipe.width}×{recipe.height}"),
            ("Frame rate", f"{recipe.fps:g} fps"), ("Seed", "random" if recipe.seed is None else str(recipe.seed)),
            ("Steps", "model default" if recipe.steps is None else str(recipe.steps)),
            ("Guidance", "model default" if recipe.guidance is None else f"{recipe.guidance:g}"),
            ("Style", recipe.style or "—")]
    if recipe.mode == "video":
        rows.append(("Strength", f"{recipe.strength:g}"))
    if recipe.mode == "retake":
        rows.append(("Range", f"{recipe.range_from:g}–{recipe.range_to:g} s"))
    if recipe.image:
        rows.append(("Image", recipe.image))
    if recipe.source_take_id is not None:
        rows.append(("Source take", str(recipe.source_take_id)))
    return rows


def media_rows(media: MediaRecord, path: Path | str) -> list[tuple[str, str]]:
    """Readable rows of a library MediaRecord."""
    rows = [("Kind", media.kind), ("File", str(path))]
    if media.duration:
        rows.append(("Length", f"{media.duration:.2f} s"))
    if media.width and media.height:
        rows.append(("Picture", f"{media.width}×{media.height}" + (f" @ {media.fps:g} fps" if media.fps else "")))
    if media.codec:
        rows.append(("Codec", str(media.codec)))
    if media.sample_rate:
        rows.append(("Sound", f"{media.sample_rate} Hz"))
    rows.append(("SHA-256", media.sha256[:16] + "…"))
    if media.missing:
        rows.append(("Missing", "the file is gone from the library folder"))
    return rows


class InspectorPanel(QWidget):
    """Shows one take; media facts are fetched on a worker thread."""

    def __init__(self, lib: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lib = lib
        self._shown: int | None = None
        self._body = QWidget()
        self._form = QFormLayout(self._body)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        scroll = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        scroll.setWidget(self._body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll)
        self.show_item(None)

    @property
    def take_id(self) -> int | None:
        return self._shown

    def rows(self) -> list[tuple[str, str]]:
        """What is shown, as (label, value) pairs (for tests and copy)."""
        out = []
        for row in range(self._form.rowCount()):
            label = self._form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = self._form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label and field and label.widget() and field.widget():
                out.append((label.widget().text(), field.widget().text()))
        return out

    def show_item(self, item: TakeItem | None) -> None:
        self._shown = item.take_id if item else None
        self._clear()
        if item is None:
            self._add("", "Select a take in the library to see how it was made.")
            return
        take = item.take
        self._add("Take", f"{take.id} · {take.origin}")
        self._add("Status", take.status + (f" — {take.error}" if take.error else ""))
        self._add("Created", _when(take.created_at))
        if take.parent_take_id is not None:
            self._add("Remix of", f"take {take.parent_take_id} ({take.remix_kind or 'remix'})")
        for label, value in recipe_rows(take.recipe) if take.recipe else [("Recipe", "none (imported file)")]:
            self._add(label, value)
        if take.timings:
            self._add("Timings", ", ".join(f"{k} {v:.1f} s" for k, v in take.timings.items()))
        if take.media_id is not None:
            take_id, media_id = take.id, take.media_id
            run_async(lambda: (self._lib.media(media_id), item.media_path),
                      lambda result: self._media_loaded(take_id, *result), lambda exc: None, receiver=self)

    def _media_loaded(self, take_id: int, media: Any, path: Any) -> None:
        if take_id != self._shown or media is None:
            return
        self._add("", "")
        for label, value in media_rows(media, path):
            self._add(label, value)

    def _add(self, label: str, value: str) -> None:
        text = QLabel(value, wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self._form.addRow(tone(QLabel(label), Tone.HINT), text)

    def _clear(self) -> None:
        while self._form.rowCount():
            self._form.removeRow(0)
