"""QActions made from the one action table (keymap.py), with the user's remapped keys applied."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from studio.ui import keymap
from studio.ui.settings import studio_settings
from studio.ui.theme import icon

log = logging.getLogger(__name__)

_CONTEXTS = {keymap.Scope.WINDOW: Qt.ShortcutContext.WindowShortcut,
             keymap.Scope.TIMELINE: Qt.ShortcutContext.WidgetWithChildrenShortcut,
             keymap.Scope.MONITOR: Qt.ShortcutContext.WidgetWithChildrenShortcut}


def _overrides() -> dict[str, str]:
    """The user's remaps in the settings' [shortcuts] group: action id -> "Key, Key"."""
    settings = studio_settings()
    settings.beginGroup("shortcuts")
    overrides = {key.replace("/", "."): settings.value(key) for key in settings.childKeys()}
    settings.endGroup()
    # QSettings turns "A, B" into a list
    return {k: ", ".join(v) if isinstance(v, list) else str(v or "") for k, v in overrides.items()}


def user_bindings() -> dict[str, tuple[str, ...]]:
    """Every action's keys with the remaps in the settings' [shortcuts] group applied (refusals logged)."""
    bindings, refused = keymap.effective_keys(_overrides())
    for line in refused:
        log.warning("%s", line)
    return bindings


def remap(action_id: str, keys: tuple[str, ...] | None) -> tuple[dict[str, tuple[str, ...]], str | None]:
    """Save `keys` as the user's keys for `action_id` (None: back to the table's own), unless that would
    bind a key twice. Returns the bindings in force afterwards and the refusal (None when saved)."""
    bindings = user_bindings()
    wanted = keymap.default_bindings()[action_id] if keys is None else keys
    clashes = keymap.conflicts({**bindings, action_id: wanted})
    if clashes:
        return bindings, f"{', '.join(wanted)} is taken: {_holder(bindings, action_id, wanted)} uses it. Choose " \
                         "another key, or give that action another key first."
    settings = studio_settings()
    if keys is None:
        settings.remove(f"shortcuts/{action_id}")
    else:
        settings.setValue(f"shortcuts/{action_id}", ", ".join(keys))
    settings.sync()
    return {**bindings, action_id: wanted}, None


def _holder(bindings: dict[str, tuple[str, ...]], action_id: str, keys: tuple[str, ...]) -> str:
    """The name a creator knows for the action that already has one of `keys` ("Undo", "the Queue dock")."""
    wanted = {QKeySequence(k).toString() for k in keys}
    for other, other_keys in bindings.items():
        if other != action_id and wanted & {QKeySequence(k).toString() for k in other_keys}:
            if other.startswith("dock."):
                return f"showing the {other.removeprefix('dock.').title()} dock"
            return keymap.spec(other).text.replace("&", "").rstrip(".…")
    return "another action"


def rebind_all(root: QObject, bindings: dict[str, tuple[str, ...]]) -> None:
    """Give every table action under `root` (found by its object name, the action id) its keys in `bindings`:
    a remap takes effect at once, without a restart."""
    for action in root.findChildren(QAction):
        action_id = action.objectName()
        if action_id not in bindings:
            continue
        if action_id.startswith("dock."):  # a dock's toggle: Qt's own action, not made from the table
            action.setShortcuts([QKeySequence(k) for k in bindings[action_id]])
        else:
            bind(action, action_id, bindings)


def bind(action: QAction, action_id: str, bindings: dict[str, tuple[str, ...]] | None = None) -> QAction:
    """Give `action` the table's keys for `action_id` (remapped), its shortcut context and tool tip."""
    spec = keymap.spec(action_id)
    keys = (bindings or user_bindings()).get(action_id, spec.keys)
    action.setObjectName(action_id)
    action.setShortcuts([QKeySequence(k) for k in keys])
    action.setShortcutContext(_CONTEXTS[spec.scope])
    label = spec.text.replace("&", "").rstrip(".…")
    action.setToolTip(f"{label} ({', '.join(keys)})" if keys else (spec.tip or label))
    if spec.tip:
        action.setStatusTip(spec.tip)
    return action


def make_action(parent: QObject, action_id: str, slot: Callable[..., Any] | None,
                bindings: dict[str, tuple[str, ...]] | None = None, *, checkable: bool = False) -> QAction:
    """A new action for `action_id`: the table's text, icon and keys; `slot` on triggered."""
    spec = keymap.spec(action_id)
    action = QAction(spec.text, parent)
    if spec.icon:
        action.setIcon(icon(spec.icon))
    action.setCheckable(checkable)
    bind(action, action_id, bindings)
    if slot is not None:
        action.triggered.connect(slot)
    return action
