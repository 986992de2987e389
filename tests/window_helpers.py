"""The studio window in tests: opening it on a library, the tiny recipe its tests generate with, and drops on
its timeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent

from studio.app import create_main_window, make_application
from studio.recipe import Recipe


def tiny_recipe(prompt: str, **fields: Any) -> Recipe:
    """tiny-random at 32x32, 1 s at 8 fps (other fields as given)."""
    return Recipe(prompt=prompt, model_id="tiny-random", seconds=1, fps=8, width=32, height=32, **fields)


def open_window(qtbot: Any, lib: Any, **kwargs: Any) -> Any:
    """The studio window on `lib`, shown and started (`kwargs` go to create_main_window); shut it down after."""
    make_application()
    win = create_main_window(lib, **kwargs)
    qtbot.addWidget(win)
    win.show()
    win.start()
    return win


def probe_fresh_process(code: str, tmp_path: Path) -> Any:
    """Run `code` in a fresh interpreter (offscreen, a scratch library and config under tmp_path) and return
    the JSON it prints last: what a launch loads can only be seen in a process that has loaded nothing yet."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KINORA_LIBRARY": str(tmp_path / "lib"),
           "KINORA_CONFIG": str(tmp_path / "cfg")}
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def drop_on_track(view: Any, mime: QMimeData, seconds: float, track: str,
                  modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Release a drag carrying `mime` over the timeline view at `seconds` on track `track` ("V1", "A1")."""
    row = next(r for r in view.rows if r.name == track)
    pos = view.mapFromScene(QPointF(view.scale.x(seconds), row.y + row.height / 2))
    view.dropEvent(QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, modifiers))
