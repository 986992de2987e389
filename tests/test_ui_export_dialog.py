"""The Export dialog: runs in the background with progress, can be canceled, shows what failed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QDesktopServices

from studio.library.library import Library
from studio.media.encode import write_clip
from studio.provenance.reader import read_credentials
from studio.recipe import Recipe
from studio.ui.export_dialog import PROGRESS_STEPS, ExportDialog


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Folders the dialog asked the desktop to open (nothing is really launched)."""
    urls: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: urls.append(url.toLocalFile()) or True)
    return urls


def _take(lib: Library, tmp_path: Path, frames: int = 12) -> int:
    recipe = Recipe(prompt="a kite", model_id="tiny-random", seed=5, width=64, height=48, seconds=0.5)
    take = lib.create_take(recipe)
    clip = write_clip(np.full((frames, 48, 64, 3), 90, np.uint8), None, 24, 48000, tmp_path / f"t{take.id}.mp4")
    lib.complete_take(take.id, clip, recipe=recipe, timings={})
    return take.id


def test_dialog_exports_in_the_background_with_progress_and_opens_the_folder(qtbot, lib, tmp_path, opened) -> None:
    dialog = ExportDialog(lib, None, take_id=_take(lib, tmp_path))
    qtbot.addWidget(dialog)
    assert dialog.watermark.isChecked() and dialog.credentials.isChecked()  # both on by default
    out = tmp_path / "exports" / "kite.mp4"
    dialog.path.setText(str(out))
    values: list[int] = []
    dialog.progress.valueChanged.connect(values.append)
    with qtbot.waitSignal(dialog.exported, timeout=60000) as done:
        dialog.export_button.click()
        assert dialog.running and not dialog.export_button.isEnabled()
    assert done.args == [out.resolve()]
    assert values[-1] == PROGRESS_STEPS and any(0 < v < PROGRESS_STEPS for v in values)
    assert "Saved kite.mp4" in dialog.status.text()
    assert opened == [str(out.parent.resolve())]
    assert read_credentials(out).state == "valid"


def test_cancel_stops_the_export_and_leaves_no_file(qtbot, lib, tmp_path, opened) -> None:
    dialog = ExportDialog(lib, None, take_id=_take(lib, tmp_path, frames=96))
    qtbot.addWidget(dialog)
    out = tmp_path / "exports" / "never.mp4"
    dialog.path.setText(str(out))
    dialog.start()
    dialog.cancel()
    qtbot.waitUntil(lambda: not dialog.running and "Canceled" in dialog.status.text(), timeout=60000)
    assert not out.exists() and list(out.parent.iterdir()) == []
    assert dialog.export_button.isEnabled() and opened == []


def test_a_failed_export_says_what_failed(qtbot, lib, tmp_path, opened) -> None:
    take_id = _take(lib, tmp_path)
    lib.media_path(lib.media(lib.take(take_id).media_id)).unlink()  # the media went missing
    dialog = ExportDialog(lib, None, take_id=take_id)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(tmp_path / "broken.mp4"))
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running and dialog.error.isVisibleTo(dialog), timeout=60000)
    assert dialog.error.text().startswith("Rendering the video failed:")
    assert f"take {take_id} is missing" in dialog.error.text()
    assert not (tmp_path / "broken.mp4").exists()


def test_dialog_without_a_project_or_take_explains_instead_of_exporting(qtbot, lib) -> None:
    dialog = ExportDialog(lib, None)
    qtbot.addWidget(dialog)
    assert not dialog.export_button.isEnabled() and "Open a project" in dialog.error.text()
