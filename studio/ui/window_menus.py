"""The studio window's menus: every action in a menu, with its shortcut (Help > Keyboard Shortcuts lists them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from studio.ui.theme import icon

if TYPE_CHECKING:
    from studio.ui.main_window import MainWindow


def add_action(window: QMainWindow, menu: QMenu, text: str, slot: Any,
               shortcut: str | QKeySequence.StandardKey | None = None, icon_name: str | None = None, *,
               tip: str = "", extra_shortcuts: tuple[str, ...] = ()) -> QAction:
    """A menu action with its shortcut(s), also added to the window so the keys work anywhere in it."""
    action = QAction(text, window)
    if icon_name:
        action.setIcon(icon(icon_name))
    keys = []
    if shortcut is not None:
        keys.append(QKeySequence(shortcut))
    keys.extend(QKeySequence(k) for k in extra_shortcuts)
    if keys:
        action.setShortcuts(keys)
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    menu.addAction(action)
    window.addAction(action)  # shortcuts work even with the menu bar hidden
    return action


def _is_undo_or_redo(action: QAction) -> bool:
    exact = QKeySequence.SequenceMatch.ExactMatch
    return any(action.shortcut().matches(QKeySequence(key)) == exact
               for key in (QKeySequence.StandardKey.Undo, "Ctrl+Shift+Z"))


def build_menus(window: MainWindow) -> None:
    """File, Edit, Generate, Library, View, Playback and Help, every action with its shortcut."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    add_action(window, file_menu, "&Import Media…", window.choose_import, "Ctrl+I", "import",
               tip="Copy video, audio or image files into the library")
    add_action(window, file_menu, "&Open Project File…", window.choose_project, "Ctrl+O", "project",
               tip="Open an .otio or .otioz project")
    add_action(window, file_menu, "&Save Project", window.save_project, QKeySequence.StandardKey.Save)
    add_action(window, file_menu, "&Export Project…", window.show_export, "Ctrl+E", "export",
               tip="Render the timeline to an MP4 with Content Credentials")
    file_menu.addSeparator()
    add_action(window, file_menu, "&Quit", window.close, "Ctrl+Q")

    edit_menu = bar.addMenu("&Edit")
    # The timeline's own Undo/Redo (their shortcuts act while the timeline has focus); a second pair
    # with the same keys would make every Ctrl+Z ambiguous.
    edit_menu.addActions([a for a in window.timeline.actions() if _is_undo_or_redo(a)])
    add_action(window, edit_menu, "&Find in Library", window.focus_search, QKeySequence.StandardKey.Find, "search")

    gen_menu = bar.addMenu("&Generate")
    add_action(window, gen_menu, "&Generate", window.prompt_panel.generate, "Ctrl+Return", "generate",
               extra_shortcuts=("Ctrl+Enter",), tip="Generate a take from the prompt panel")
    add_action(window, gen_menu, "Roll a New &Seed", window.prompt_panel.roll_seed, "Ctrl+R", "dice")
    add_action(window, gen_menu, "&Remix Selected Take", window.remix_selected, "Ctrl+Shift+R", "remix")
    add_action(window, gen_menu, "Stop &Remixing", window.prompt_panel.clear_remix, None)
    gen_menu.addSeparator()
    add_action(window, gen_menu, "&Models…", lambda: window.show_models(), "Ctrl+Shift+M", "import",
               tip="Download, check and delete generation models; see the memory each needs here")
    _add_api_toggle(window, gen_menu)
    add_action(window, gen_menu, "Your &Cameo…", window.show_cameo_dialog, None,
               tip="Record yourself once; others use your likeness only with your signed grant")
    add_action(window, gen_menu, "Cameo &Uses…", window.show_cameo_uses, None,
               tip="Takes others made with your cameo: watch them or ask for removal")

    lib_menu = bar.addMenu("&Library")
    add_action(window, lib_menu, "&Play in Preview", window.play_selected, "Ctrl+P", "play")
    add_action(window, lib_menu, "Toggle &Favourite", window.library_panel.toggle_favorite, "Ctrl+D", "star")
    add_action(window, lib_menu, "&Reveal File", lambda: window.library_panel.reveal_file(), "Ctrl+Shift+O",
               "folder")
    add_action(window, lib_menu, "E&xport Take…", window.export_selected_take, "Ctrl+Shift+E", "export")
    add_action(window, lib_menu, "S&hare Take to Feed", lambda: window.share_selected_take("public"), "Ctrl+Shift+S",
               tip="Publish the selected take to your feed as a signed MP4")
    add_action(window, lib_menu, "Share Take with &Friends Only", lambda: window.share_selected_take("friends"),
               tip="Publish it for subscribers holding an invite token")
    delete = add_action(window, lib_menu, "&Delete Take…", window.library_panel.delete_selected,
                        "Ctrl+Backspace", "delete")
    delete.setStatusTip("Delete the selected takes and their files (asks first)")
    add_action(window, lib_menu, "Re&load", window.library_panel.model.reload, "F5")

    # The editor's own actions (their keys act while the timeline has focus).
    timeline_menu = bar.addMenu("&Timeline")
    timeline_menu.addActions([a for a in window.timeline.actions() if a.text() and not _is_undo_or_redo(a)])

    view_menu = bar.addMenu("&View")
    for number, key in enumerate(("prompt", "preview", "library", "queue", "inspector", "timeline",
                                  "credentials", "lineage", "history"), start=1):
        if key in window.docks:
            toggle = window.docks[key].toggleViewAction()
            toggle.setShortcut(QKeySequence(f"Alt+{number}"))
            view_menu.addAction(toggle)
    add_action(window, view_menu, "&Feed", window.show_feed, "Ctrl+Shift+F",
               tip="Watch, like and remix your friends' clips")
    view_menu.addSeparator()
    add_action(window, view_menu, "&Reset Layout", window.reset_layout, None)
    window.probe_action = add_action(window, view_menu, "Show &Responsiveness Probe", window.toggle_probe_display,
                                     "Ctrl+Shift+D")
    window.probe_action.setCheckable(True)
    add_action(window, view_menu, "&Full Screen", window.toggle_full_screen, QKeySequence.StandardKey.FullScreen)

    play_menu = bar.addMenu("&Playback")
    play_menu.addActions(window.preview.transport_actions())
    play_menu.addSeparator()
    add_action(window, play_menu, "Preview the &Edit", window.play_edit, "Ctrl+Shift+Space", "project",
               tip="Play the timeline in the Preview")

    settings_menu = bar.addMenu("&Settings")
    add_action(window, settings_menu, "&Engine…", lambda: _edit_engine_settings(window), None,
               tip="Generate on this computer or on a Ray cluster")

    help_menu = bar.addMenu("&Help")
    add_action(window, help_menu, "&Keyboard Shortcuts", window.show_shortcuts, "F1", "keyboard",
               extra_shortcuts=("Ctrl+/",))
    add_action(window, help_menu, "&About Kinora Studio", window.show_about, None, "app")


def _add_api_toggle(window: MainWindow, menu: QMenu) -> None:
    """Generate > Serve the OpenAI Videos API: `kinora serve` inside the studio (see studio/ui/api_server.py)."""
    from studio.ui.api_server import DEFAULT_PORT, ApiServerToggle

    window.api_server = ApiServerToggle(window.lib, window.notify, parent=window)
    window.bridge.event.connect(window.api_server.on_engine_event)
    action = add_action(window, menu, "Serve the OpenAI &Videos API", window.api_server.set_running, None,
                        tip=f"Answer the openai SDK's client.videos on http://127.0.0.1:{DEFAULT_PORT}/v1")
    action.setCheckable(True)
    window.api_server.changed.connect(lambda url: action.setChecked(bool(url)))
def _edit_engine_settings(window: MainWindow) -> None:
    from studio.ui.engine_settings import EngineSettingsDialog

    if EngineSettingsDialog(window).exec():
        window.notify("The engine setting is saved; it takes effect when Kinora Studio starts again.")
