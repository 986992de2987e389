"""The studio window in tests: opening it on a library, and the tiny recipe its tests generate with."""

from __future__ import annotations

from typing import Any

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
