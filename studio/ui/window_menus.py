"""The studio window's menus, built from the one action table (keymap.py): the window supplies a slot
for each of its actions; the timeline editor and the monitors (studio/ui/monitors.py) supply their own by id."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence

from studio.ui import keymap
from studio.ui.actions import make_action, user_bindings
from studio.ui.monitors import Monitor

if TYPE_CHECKING:
    from studio.ui.main_window import MainWindow


CHECKABLE = frozenset({"view.probe", "generate.serve_api"})


def window_slots(window: MainWindow) -> dict[str, Callable[..., Any]]:
    """The window's own action ids -> what they do."""
    return {
        "file.new": window.new_project,
        "file.open": window.choose_project,
        "file.switch": window.switch_project,
        "file.save_as": window.save_project_as,
        "file.rename": window.rename_project,
        "file.delete": window.delete_project,
        "file.save": window.save_project,
        "file.import": window.choose_import,
        "file.export": window.show_export,
        "file.quit": window.close,
        "edit.find": window.focus_search,
        "generate.run": window.prompt_panel.generate,
        "generate.seed": window.prompt_panel.roll_seed,
        "generate.remix": window.remix_selected,
        "generate.stop_remix": window.prompt_panel.clear_remix,
        "generate.models": lambda: window.show_models(),
        "generate.serve_api": lambda checked=False: window.api_server.set_running(checked),
        "generate.cameo": window.show_cameo_dialog,
        "generate.cameo_uses": window.show_cameo_uses,
        "library.play": window.play_selected,
        "library.favourite": window.library_panel.toggle_favorite,
        "library.reveal": lambda: window.library_panel.reveal_file(),
        "library.export_take": window.export_selected_take,
        "library.share": lambda: window.share_selected_take("public"),
        "library.share_friends": lambda: window.share_selected_take("friends"),
        "library.feed_invites": lambda: window.feed.show_invites(),  # the Feed is made on first use
        "library.delete": window.library_panel.delete_selected,
        "library.reload": window.library_panel.model.reload,
        "view.feed": window.show_feed,
        "view.reset": window.reset_layout,
        "view.probe": window.toggle_probe_display,
        "view.full_screen": window.toggle_full_screen,
        "play.edit": window.monitors.play_edit,
        "play.source_monitor": lambda: window.monitors.activate(Monitor.SOURCE, focus=True),
        "play.program_monitor": lambda: window.monitors.activate(Monitor.PROGRAM, focus=True),
        "settings.engine": lambda: _edit_engine_settings(window),
        "help.shortcuts": window.show_shortcuts,
        "help.about": window.show_about,
    }


def build_menus(window: MainWindow) -> dict[str, QAction]:
    """Every menu of the table in order; returns the actions by id (the window's, the editor's, the monitors')."""
    bindings = user_bindings()
    slots = window_slots(window)
    provided: dict[str, QAction] = dict(window.timeline.table_actions())  # Undo and Redo included
    provided.update(window.monitors.table_actions())
    actions: dict[str, QAction] = {}
    bar = window.menuBar()
    for title in keymap.MENUS:
        menu = bar.addMenu(title)
        for spec in keymap.in_menu(title):
            if spec.id == "file.recent":  # filled from the library each time it opens
                recent = menu.addMenu(spec.text)
                recent.aboutToShow.connect(lambda recent=recent: window.fill_recent_menu(recent))
                actions[spec.id] = recent.menuAction()
                continue
            if spec.id in provided:
                action = provided[spec.id]
            else:
                action = make_action(window, spec.id, slots[spec.id], bindings,
                                     checkable=spec.id in CHECKABLE)
                window.addAction(action)  # the keys work even with the menu bar hidden
            menu.addAction(action)
            actions[spec.id] = action
        if title == "&View":
            menu.addSeparator()
            dock_keys = keymap.dock_keys()
            for key in keymap.DOCK_KEYS:
                if key in window.docks:
                    toggle = window.docks[key].toggleViewAction()
                    toggle.setObjectName(f"dock.{key}")  # its id in the table's bindings: the remap dialog finds it
                    if key in dock_keys:
                        toggle.setShortcut(QKeySequence(bindings.get(f"dock.{key}", (dock_keys[key],))[0]))
                    menu.addAction(toggle)
    window.probe_action = actions["view.probe"]  # generate.serve_api follows the server: see MainWindow.api_server
    return actions


def _edit_engine_settings(window: MainWindow) -> None:
    from studio.ui.engine_settings import EngineSettingsDialog

    if EngineSettingsDialog(window).exec():
        window.notify("The engine setting is saved; it takes effect when Kinora Studio starts again.")
