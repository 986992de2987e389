"""Start-up (issue 15): the window is built with only what is on screen at launch.

The hidden tabs (Inspector, Credentials, Lineage, History, Feed) are LazyDocks whose panels are made when
first shown or used, and the Preview opens the sound card on a worker thread after its first frame, not in
its constructor. bench/startup.py measures what this buys; these tests check the behaviour, not the time.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from playback_media import write_test_clip
from PySide6.QtCore import QObject
from window_helpers import open_window, probe_fresh_process, tiny_recipe

from studio.library import Library
from studio.playback import SILENT_NOTICE, WallClockSink
from studio.ui.player import PreviewPlayer
from studio.ui.player import audio_device as audio_module
from studio.ui.player.audio_device import AudioDevice
from studio.ui.player.preview import RESIZE_SETTLE_MS

WAIT_MS = 30_000
LAZY = ("inspector", "credentials", "lineage", "history", "feed")

# Constructed, not yet shown: a fresh interpreter, because this test process loaded everything long ago.
PROBE = """
import json, sys
from PySide6.QtWidgets import QAbstractSpinBox
from studio.app import create_main_window, make_application
from studio.library import Library
from studio.ui.prompt_panel import RemixBox
app = make_application()
window = create_main_window(Library.open())  # with its engine process made, not started
print(json.dumps({
    "modules": {name: name in sys.modules for name in (
        "sounddevice", "numpy", "studio.playback", "studio.ui.feed_view", "studio.consent.service",
        "studio.ui.lineage_view", "studio.ui.credentials_panel", "studio.ui.inspector",
        # OpenTimelineIO (~45 ms): the project's timeline is read on a worker after the first frame.
        "opentimelineio",
        # psutil (~10 ms): the library's session (its process start time) is made when a job needs it.
        "psutil",
        # A library at the current schema opens without its migrations; nothing is hashed and no session made.
        "studio.library.migrations", "hashlib", "uuid",
        # Dialogs the launch does not show, and the API server's toggle (made by its menu action).
        "studio.ui.export_dialog", "studio.ui.shortcuts_dialog", "studio.ui.projects", "studio.ui.api_server",
        # The style presets are read on a worker after the first frame.
        "studio.engine.styles",
        # multiprocessing (~10 ms): the engine process is spawned after the first frame. The probe made the
        # window without an engine until then, so the engine module's imports were never seen here.
        "multiprocessing")},
    # The Prompt panel's hidden parts: the Remix group (until a remix) and the closed Advanced group's rows.
    "prompt_parts": [type(w).__name__ for kind in (RemixBox, QAbstractSpinBox)
                     for w in window.prompt_panel.findChildren(kind)],
    "built": {key: window.docks[key].built for key in LAZY_KEYS},
    "audio_opened": any(player.audio.opened for player in (window.monitors.source, window.monitors.program)),
    "titles": {key: window.docks[key].windowTitle() for key in LAZY_KEYS},
}))
window.shutdown()
""".replace("LAZY_KEYS", repr(LAZY))


def test_the_window_constructs_without_the_sound_card_the_hidden_panels_numpy_or_otio(tmp_path: Path) -> None:
    Library.open(tmp_path / "lib").close()  # as every launch but the first: the library exists, at the current schema
    seen = probe_fresh_process(PROBE, tmp_path)
    assert seen["modules"] == dict.fromkeys(seen["modules"], False)  # none of them imported
    assert seen["prompt_parts"] == []
    assert seen["built"] == dict.fromkeys(LAZY, False)
    assert seen["audio_opened"] is False
    # The docks themselves exist with their titles: the View menu and the saved layout need them.
    assert seen["titles"] == {"inspector": "Inspector", "credentials": "Credentials", "lineage": "Lineage",
                              "history": "History", "feed": "Feed"}


def test_the_launch_pauses_garbage_collection_and_pysides_source_scan(tmp_path) -> None:
    # Collections during the launch freed nothing and cost ~10 ms of it; left off, the studio would leak cycles.
    # PySide's import hook read the source of every module imported after it (20-40 ms); its lazy import stays.
    # `kinora` as launched, its event loop replaced by one that runs until the first frame's work is done.
    code = """
import builtins, gc, json, time
from PySide6.QtWidgets import QApplication
import studio.app
seen = {"hook_before": builtins.__import__.__name__}
made = studio.app.create_main_window

def exec_until_started(app):
    seen["during_launch"] = gc.isenabled()
    deadline = time.monotonic() + 30
    while not gc.isenabled() and time.monotonic() < deadline:
        app.processEvents()
    seen.update(after_first_frame=gc.isenabled(), frozen=gc.get_freeze_count(),
                import_hook=builtins.__import__.__name__)
    for window in app.topLevelWidgets():
        window.close()
    return 0

QApplication.exec = exec_until_started
studio.app.create_main_window = lambda lib, **kwargs: made(lib, start_engine=False, **kwargs)
status = studio.app.run_gui()
print(json.dumps({**seen, "status": status, "at_exit": gc.isenabled()}))
"""
    seen = probe_fresh_process(code, tmp_path)
    assert seen["during_launch"] is False
    assert seen["after_first_frame"] is True
    assert seen["frozen"] > 10_000  # the modules, classes and window made by the launch
    assert seen["status"] == 0 and seen["at_exit"] is True
    assert seen["hook_before"] == "__feature_import__" and seen["import_hook"] == "__lazy_import__"


@pytest.fixture
def idle_window(qtbot, lib):
    win = open_window(qtbot, lib, start_engine=False)
    qtbot.waitUntil(lambda: win.project_id is not None, timeout=WAIT_MS)
    yield win
    win.shutdown()


def test_showing_a_hidden_dock_builds_its_panel_wired_to_the_window(qtbot, idle_window, lib) -> None:
    window = idle_window
    assert [key for key in LAZY if window.docks[key].built] == []
    take = lib.create_take(tiny_recipe("a red kite"))
    window.library_panel.model.reload()
    qtbot.waitUntil(lambda: window.library_panel.model.row_of(take.id) is not None, timeout=WAIT_MS)

    dock = window.docks["lineage"]
    dock.raise_()  # its tab brought forward, as a click on it does
    qtbot.waitUntil(lambda: dock.built, timeout=WAIT_MS)
    assert dock.widget() is window.lineage and window.lineage.isVisible()
    # Its signal reaches the window as before: activating a take in the lineage selects it in the library.
    window.lineage.take_activated.emit(take.id)
    qtbot.waitUntil(lambda: (item := window.library_panel.current_item()) is not None and item.take_id == take.id,
                    timeout=WAIT_MS)
    assert not window.docks["feed"].built  # showing one builds that one only


def test_code_that_reaches_for_a_hidden_panel_gets_it_built(qtbot, idle_window) -> None:
    window = idle_window
    assert not window.docks["inspector"].built
    window.clip_inspector.show_clip(None)  # the clip inspector and the take inspector share one dock
    assert window.docks["inspector"].built and window.docks["inspector"].widget().inspector is window.inspector
    window.docks["history"].raise_()
    qtbot.waitUntil(lambda: window.docks["history"].built, timeout=WAIT_MS)
    assert window.docks["history"].widget().stack() is window.timeline.undo_stack()  # the edit history list


class CountingOpener:
    """Stands in for the sound card: counts opens and closes and notes the thread that opened."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.threads: list[threading.Thread] = []
        self.closed = 0
        self.gate = gate

    def __call__(self) -> WallClockSink:
        self.threads.append(threading.current_thread())
        if self.gate is not None:
            self.gate.wait(10)
        sink = WallClockSink(SILENT_NOTICE)
        close = sink.close

        def counted_close() -> None:
            self.closed += 1
            close()

        sink.close = counted_close
        return sink


def test_the_preview_opens_the_sound_card_on_a_worker_after_its_first_frame(qtbot, monkeypatch, tmp_path) -> None:
    opener = CountingOpener()
    monkeypatch.setattr(audio_module, "open_audio_sink", opener)
    preview = PreviewPlayer()
    qtbot.addWidget(preview)
    assert opener.threads == [] and not preview.audio.opened  # not in the constructor
    preview.resize(320, 260)
    preview.show()
    qtbot.waitUntil(lambda: preview.audio.opened, timeout=WAIT_MS)
    assert len(opener.threads) == 1 and opener.threads[0] is not threading.main_thread()
    # Without a device it still plays silently with the notice, as before.
    preview.load_file(write_test_clip(tmp_path / "take.mp4", 6))
    with qtbot.waitSignal(preview.sourceLoaded, timeout=WAIT_MS):
        pass
    assert preview.notice.text() == SILENT_NOTICE and len(opener.threads) == 1
    preview.shutdown()
    assert opener.closed == 1  # the Preview releases the device it opened


def test_the_preview_does_not_wait_for_a_slow_sound_card(qtbot, monkeypatch) -> None:
    gate = threading.Event()  # the device takes as long as the test says
    opener = CountingOpener(gate)
    monkeypatch.setattr(audio_module, "open_audio_sink", opener)
    preview = PreviewPlayer()
    qtbot.addWidget(preview)
    preview.resize(320, 260)
    preview.show()
    qtbot.waitUntil(lambda: len(opener.threads) == 1, timeout=WAIT_MS)
    started = time.monotonic()
    preview.resize(400, 300)  # a resize re-fits the decode size after a pause: no player is needed for that
    qtbot.wait(2 * RESIZE_SETTLE_MS)
    # A resize used to reach for `self.player` after the pause, which waited on the GUI thread for the device.
    assert time.monotonic() - started < 5 and not preview.audio.opened
    gate.set()
    qtbot.waitUntil(lambda: preview.audio.opened, timeout=WAIT_MS)
    assert opener.threads[0] is not threading.main_thread()
    preview.shutdown()


def test_playback_needed_before_the_worker_opens_the_device_there_and_then(qtbot, monkeypatch) -> None:
    opener = CountingOpener()
    monkeypatch.setattr(audio_module, "open_audio_sink", opener)
    preview = PreviewPlayer()  # never shown: no worker is asked
    qtbot.addWidget(preview)
    assert preview.player.sink.rate > 0
    assert opener.threads == [threading.main_thread()] and preview.audio.opened
    preview.shutdown()
    assert opener.closed == 1


def test_a_device_closed_while_it_opens_is_released_by_its_opener() -> None:
    gate = threading.Event()
    opener = CountingOpener(gate)
    device = AudioDevice(opener)
    failures: list[BaseException] = []

    def ask() -> None:
        try:
            device.sink()
        except RuntimeError as exc:  # closed before it was open: nobody plays through it
            failures.append(exc)

    asking = threading.Thread(target=ask)
    asking.start()
    while not opener.threads:
        threading.Event().wait(0.01)
    device.close()
    gate.set()
    asking.join(10)
    assert opener.closed == 1 and not device.opened and len(failures) == 1


def test_the_source_and_program_monitors_share_one_sound_card_opened_once_on_a_worker(qtbot, monkeypatch, lib,
                                                                                    tmp_path) -> None:
    # Before, each monitor opened an output stream of its own: on bare ALSA the second one got no device and
    # played silently with the no-device notice.
    opener = CountingOpener()
    monkeypatch.setattr(audio_module, "open_audio_sink", opener)
    window = open_window(qtbot, lib, start_engine=False)
    monitors = window.monitors
    try:
        qtbot.waitUntil(lambda: monitors.source.audio.opened and monitors.program.audio.opened, timeout=WAIT_MS)
        clip = write_test_clip(tmp_path / "take.mp4", 6)
        for player in (monitors.source, monitors.program):
            with qtbot.waitSignal(player.sourceLoaded, timeout=WAIT_MS):
                player.load_file(clip)
        assert len(opener.threads) == 1 and opener.threads[0] is not threading.main_thread()
        monitors.source.play()
        monitors.program.play()  # one plays at a time, as before: Program's start pauses Source
        assert monitors.program.player.playing and not monitors.source.player.playing
        qtbot.waitUntil(lambda: monitors.program.player.clock_running, timeout=WAIT_MS)
        monitors.source.shutdown()  # one monitor closing leaves the device to the other
        assert opener.closed == 0 and monitors.program.player.playing
    finally:
        window.shutdown()
    assert opener.closed == 1


def test_players_asking_for_one_device_get_one_open_and_a_sink_each(qtbot) -> None:
    gate = threading.Event()
    opener = CountingOpener(gate)
    device = AudioDevice(opener)
    got: list[tuple[str, object]] = []
    first, second = QObject(), QObject()
    device.open_soon(lambda sink: got.append(("first", sink)), first)
    device.open_soon(lambda sink: got.append(("second", sink)), second)  # waits for the same open
    qtbot.waitUntil(lambda: len(opener.threads) == 1, timeout=WAIT_MS)
    gate.set()
    qtbot.waitUntil(lambda: len(got) == 2, timeout=WAIT_MS)
    assert [who for who, _sink in got] == ["first", "second"] and got[0][1] is not got[1][1]
    device.open_soon(lambda sink: got.append(("late", sink)), first)  # already open: handed out at once
    assert [who for who, _sink in got][-1] == "late" and len(opener.threads) == 1
    device.close()
    assert opener.closed == 1


def test_the_prompt_panels_hidden_parts_are_made_when_a_remix_needs_them(qtbot, idle_window, lib) -> None:
    from studio.engine.styles import all_styles
    from studio.ui.library.query import describe_take
    from studio.ui.model_choices import ModelChoice
    from studio.ui.prompt_panel import RemixBox

    window, panel = idle_window, idle_window.prompt_panel
    # The style presets arrive from a worker after the first frame (as the models do: tiny-random is given here).
    qtbot.waitUntil(lambda: panel.style_box.count() == len(all_styles()) + 1, timeout=WAIT_MS)
    panel.set_models([ModelChoice("tiny-random", "Tiny random", True, None, None, 32, 8.0)])
    assert panel.findChildren(RemixBox) == [] and panel._advanced_rows is None
    style = next(iter(all_styles()))
    take = lib.create_take(tiny_recipe("a red kite", style=style, steps=3, seed=7))
    window.remix_take(describe_take(lib, lib.take(take.id)), "edit_prompt")
    # The Remix group, made now, is the one on screen, at the top of the panel, wired as before.
    assert panel.remix_box.isVisibleTo(panel) and panel.findChildren(RemixBox) == [panel.remix_box]
    assert f"Remixing take {take.id}" in panel.remix_label.text()
    assert panel.current_remix_mode().kind == "edit_prompt" and panel.remix_hint.text()
    assert (panel.style_box.currentData(), panel.advanced.isChecked(), panel.steps.value()) == (style, True, 3)
    panel.remix_mode.setCurrentIndex(panel.remix_mode.findData("retake"))  # its signal reaches the panel
    assert panel.range_row.isVisibleTo(panel) and not panel.strength_row.isVisibleTo(panel)
    panel.prompt.setPlainText("a blue kite")
    recipe = panel.build_recipe()
    assert (recipe.mode, recipe.source_take_id, recipe.style) == ("retake", take.id, style)
    panel.clear_remix()
    assert not panel.remix_box.isVisibleTo(panel) and panel.remix_parent is None


def test_the_advanced_rows_made_when_opened_show_the_chosen_models_defaults(qtbot) -> None:
    from studio.app import make_application
    from studio.ui.model_choices import ModelChoice
    from studio.ui.prompt_panel import PromptPanel

    make_application()
    panel = PromptPanel()
    qtbot.addWidget(panel)
    choice = ModelChoice("tiny-random", "Tiny random", True, None, None, 32, 24.0, needs_weights=False,
                         default_steps=4, default_guidance=2.5)
    panel.set_models([choice])
    assert panel._advanced_rows is None  # closed: its rows are not made by a model change
    panel.show()
    panel.advanced.setChecked(True)
    assert panel.steps.isVisibleTo(panel) and (panel.steps.value(), panel.guidance.value()) == (4, 2.5)
    panel.advanced.setChecked(False)
    assert not panel.steps.isVisibleTo(panel) and not panel.enhance.isVisibleTo(panel)


def test_the_api_servers_menu_action_makes_its_toggle_and_follows_the_server(qtbot, idle_window) -> None:
    window = idle_window
    action = window.actions["generate.serve_api"]
    assert window._api_server is None and window.api_url() == ""  # the action exists without it
    window.api_server.port = 0  # any free port (the toggle is made here, as the action would make it)
    action.trigger()
    qtbot.waitUntil(lambda: window.api_url() != "", timeout=WAIT_MS)
    assert action.isChecked() and window.api_url().startswith("http://127.0.0.1:")
    action.trigger()
    qtbot.waitUntil(lambda: window.api_url() == "", timeout=WAIT_MS)
    assert not action.isChecked()


def test_the_dialogs_made_on_first_use_open_from_the_window(qtbot, idle_window) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

    window = idle_window
    seen: list[str] = []

    def answer(act) -> None:  # the next modal dialog, once it is up: note its class, then act on it
        def check() -> None:
            dialog = QApplication.activeModalWidget()
            if dialog is None:
                QTimer.singleShot(20, check)
                return
            seen.append(type(dialog).__name__)
            act(dialog)
        QTimer.singleShot(0, check)

    answer(lambda d: d.reject())
    window.show_shortcuts()  # Help > Keyboard Shortcuts (modal)

    def named(dialog: QInputDialog) -> None:
        dialog.setTextValue("  Second cut ")
        dialog.accept()

    answer(named)
    assert window.ask_name(window, "New Project", "Name of the new project:", "Untitled") == "Second cut"
    answer(lambda d: d.button(QMessageBox.StandardButton.Yes).click())
    assert window.confirm_delete_project(window, "Untitled") is True
    project = window.lib.list_projects()[0]
    answer(lambda d: d.accept())  # Enter on the first row opens it
    assert window.choose_switch([project]) == project.id
    assert seen == ["ShortcutsDialog", "QInputDialog", "QMessageBox", "ProjectSwitcher"]


def test_the_engine_made_for_the_window_starts_after_its_first_frame_on_a_worker(qtbot, monkeypatch, lib) -> None:
    # Spawning the engine process (~40 ms) ran before the window was shown, inside every launch's figure.
    import studio.engine

    class FakeEngine:
        warmed = threading.Event()

        def __init__(self) -> None:
            self.started_on: list[threading.Thread] = []

        def start(self) -> None:
            self.started_on.append(threading.current_thread())

        def stop(self, timeout: float = 30.0) -> None:
            pass

        def __getattr__(self, name: str):  # the queue's calls, unused here
            return lambda *args, **kwargs: None

    engine = FakeEngine()
    monkeypatch.setattr(studio.engine, "make_engine", lambda *args, **kwargs: engine)
    from studio.app import create_main_window, make_application

    make_application()
    window = create_main_window(lib)
    qtbot.addWidget(window)
    try:
        assert window.runner is engine and engine.started_on == []  # made, not started
        window.show()
        window.start()
        qtbot.waitUntil(lambda: bool(engine.started_on), timeout=WAIT_MS)
        assert engine.started_on[0] is not threading.main_thread()
    finally:
        window.shutdown()
