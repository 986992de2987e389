"""Docks whose panel is made when it is first shown, so a launch builds only what is on screen.

A hidden tab (Credentials, Lineage, History, Feed, Inspector) costs its imports and its widgets at
start-up although nobody sees it yet. A `LazyDock` is a real QDockWidget from the start, with its title
and object name, so the View menu lists it and the window's saved layout restores it; its panel is
made the first time the dock becomes visible (shown, raised as a tab, floated) or code asks for it.

Code that reaches for a panel at any time uses `content()` (or a `DockPanel` attribute on the window,
which calls it). Wiring a panel's signals belongs in its factory, so wiring does not build it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMainWindow, QWidget

from studio.ui.chrome import Dock


class LazyDock(Dock):
    """A dock whose widget `factory()` makes on first show or first `content()` call."""

    def __init__(self, title: str, window: QMainWindow, key: str, factory: Callable[[], QWidget]) -> None:
        super().__init__(title, window, objectName=f"dock-{key}")
        self._factory = factory
        self._content: QWidget | None = None
        self.setWidget(QWidget(self, objectName=f"{key}-placeholder"))  # an empty page until first shown
        self.visibilityChanged.connect(self._visibility_changed)

    @property
    def built(self) -> bool:
        return self._content is not None

    def content(self) -> QWidget:
        """The panel, made now if it was not yet."""
        if self._content is None:
            self._content = self._factory()
            placeholder = self.widget()
            self.setWidget(self._content)
            if placeholder is not None:
                placeholder.deleteLater()
        return self._content

    def _visibility_changed(self, visible: bool) -> None:
        if visible and self._content is None:
            self.content()


class DockPanel:
    """A window attribute that is the panel of one of its lazy docks (`window.docks[key]`), made on first use.

    `part` names an attribute of the panel to return instead (a panel holding two widgets)."""

    def __init__(self, key: str, part: str | None = None) -> None:
        self.key = key
        self.part = part

    def __get__(self, window: Any, owner: type | None = None) -> Any:
        if window is None:
            return self
        panel = window.docks[self.key].content()
        return panel if self.part is None else getattr(panel, self.part)
