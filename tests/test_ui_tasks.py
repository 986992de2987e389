"""Background results reach live widgets only; deleting a widget with work in flight is safe."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtWidgets import QLabel, QWidget

from studio.media.encode import write_clip
from studio.ui.library.thumbnails import ThumbnailLoader
from studio.ui.tasks import run_async, wait_for_tasks


def _delete_now(qtbot, widget: QWidget) -> None:
    """Delete the way Qt deletes a closed widget: deleteLater, run by the event loop."""
    widget.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(widget))


def test_result_for_a_deleted_widget_is_dropped_not_delivered(qtbot) -> None:
    label = QLabel()
    release = threading.Event()
    delivered: list[object] = []
    run_async(lambda: release.wait(10) and "late", lambda text: delivered.append(label.setText(text)),
              lambda exc: delivered.append(exc), receiver=label)
    _delete_now(qtbot, label)
    release.set()
    assert wait_for_tasks(10000)
    qtbot.wait(50)  # the queued result arrives and is dropped
    assert delivered == []


def test_bound_method_callback_names_its_receiver(qtbot) -> None:
    label = QLabel()
    release = threading.Event()
    run_async(lambda: release.wait(10) and "late", label.setText)
    _delete_now(qtbot, label)
    release.set()
    assert wait_for_tasks(10000)
    qtbot.wait(50)  # would raise "Internal C++ object already deleted" in the Qt event loop


def test_result_for_a_live_widget_arrives(qtbot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    run_async(lambda: "ready", label.setText, receiver=label)
    qtbot.waitUntil(lambda: label.text() == "ready")


def test_deleting_the_owner_while_thumbnails_load_waits_for_them(qtbot, tmp_path: Path) -> None:
    owner = QWidget()
    loader = ThumbnailLoader(tmp_path / "cache", owner, threads=2)
    for take_id in range(6):
        clip = write_clip(np.full((4, 32, 48, 3), 40 * take_id, np.uint8), None, 24, 48000,
                          tmp_path / f"clip{take_id}.mp4")
        loader.poster(take_id, clip, f"{take_id:064x}")
    _delete_now(qtbot, owner)  # the pool's last wait runs here, with loads still finishing
    qtbot.wait(100)
    assert not shiboken6.isValid(loader)  # and no worker raised on it (pytest-qt fails the test if one did)
