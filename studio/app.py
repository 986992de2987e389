"""The studio's wiring: Qt application, theme, library, engine runner and main window.

`kinora` with no command calls `run_gui`. Tests and scripts use `create_main_window` to get the
same window over a library they opened themselves.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from studio.engine.choice import EngineSettings
    from studio.engine.control import Engine
    from studio.library import Library
    from studio.ui.main_window import MainWindow

log = logging.getLogger(__name__)

APP_NAME = "Kinora Studio"
ORG_NAME = "Kinora"


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (made once), named and themed."""
    from PySide6.QtWidgets import QApplication

    from studio.ui.theme import STYLE_ARGS, apply_theme, icon

    app = QApplication.instance()
    made = app is None
    if made:
        app = QApplication([*(argv if argv is not None else sys.argv[:1]), *STYLE_ARGS])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("kinora-studio")
    apply_theme(app, made_with_style=made)
    app.setWindowIcon(icon("app"))
    return app


def _keep_launch_objects() -> None:
    """Turn the cyclic garbage collector back on after the launch, with what the launch made set aside.

    The launch makes ~40k objects that live as long as the studio (modules, classes, Qt's Python enums, the
    window): the collections that ran meanwhile freed nothing and took ~10 ms of the time to the first frame,
    and every full collection afterwards would scan them all again (a pause during playback). `gc.freeze`
    moves them out of the collector's reach; the few cycles the launch left behind are kept with them.
    """
    gc.freeze()
    gc.enable()


def _skip_pyside_source_scan() -> None:
    """Give Python's imports back the function PySide6 wrapped (call after importing PySide6).

    PySide6 wraps `__import__` for `from __feature__ import snake_case`, which Kinora does not use, and after
    every import statement reads the source of each module it has not seen yet, searching it for "PySide6"
    (shibokensupport/feature.py, PYSIDE-2029): ~160 files before the window's first frame, 20-40 ms of the
    launch, and a Python call for every import statement the studio runs afterwards. The import it wrapped
    (`__orig_import__`, PySide's own lazy import that makes `from PySide6.QtX import *` work) stays in place.
    """
    import builtins

    wrapped = getattr(builtins, "__orig_import__", None)
    if wrapped is not None and getattr(builtins.__import__, "__name__", "") == "__feature_import__":
        builtins.__import__ = wrapped


def has_display(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether a window opened now would be seen: Windows and macOS always have a screen; elsewhere an X11
    or Wayland session, or a Qt platform plugin other than the invisible `offscreen`/`minimal`."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform in ("win32", "darwin"):
        return True
    qpa = environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if qpa:
        return qpa not in ("offscreen", "minimal")
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def create_main_window(lib: Library, *, start_engine: bool = True, runner: Engine | None = None,
                       project_id: int | None = None) -> MainWindow:
    """The main window over `lib`, with the engine in its own process (EngineProcess) bridged to Qt signals,
    or on the Ray cluster that Settings > Engine names.

    The engine runs in a child process so that importing torch and running models never hold this
    process's interpreter lock, which the GUI thread needs. Pass `runner` to use one made elsewhere, such as
    an in-process Runner (its on_event must be the window's bridge: use `window.bridge.on_event`); with
    start_engine=False no engine is made (the window cannot generate). The engine made here starts from
    `window.start()`, once the first frame is up: spawning its process took ~40 ms of the launch.
    `project_id` is the project `window.start()` opens in the timeline (default: the last one worked on).
    """
    from studio.ui.engine_bridge import EngineBridge
    from studio.ui.main_window import MainWindow

    bridge = EngineBridge()
    settings = None
    if runner is None and start_engine:
        from studio.engine import EngineKind, make_engine
        from studio.ui.engine_settings import read_engine_settings

        settings = read_engine_settings()  # Settings > Engine: the engine process here, or a Ray cluster
        if settings.kind == EngineKind.LOCAL:
            runner = make_engine(lib, settings, on_event=bridge.on_event)
            settings = None
    elif runner is not None:
        runner.start()  # one made elsewhere starts now; the engine made above starts from window.start()
    window = MainWindow(lib, runner, bridge, project_id=project_id)
    bridge.setParent(window)
    if settings is not None:
        _join_cluster(window, lib, settings)
    return window


def _join_cluster(window: MainWindow, lib: Library, settings: EngineSettings) -> None:
    """Join the Ray cluster on a worker thread (Ray's driver start-up takes seconds); the window gets the cluster
    engine when joined, or the local engine process and the one-line reason when the cluster cannot be used."""
    from studio.engine import make_engine
    from studio.ui.tasks import run_async

    notices: list[str] = []
    window.notify(f"Joining the Ray cluster at {settings.address}…")

    def joined(engine: Engine) -> None:
        engine.start()
        window.runner = engine
        for text in notices:
            window.notify(text, True)

    run_async(lambda: make_engine(lib, settings, on_event=window.bridge.on_event, notice=notices.append), joined,
              lambda exc: window.notify(f"The engine could not start: {exc}", True), receiver=window)


def project_to_open(lib: Library, requested: int | None) -> int | None:
    """The project the window opens: after a crash, offer the projects with unsaved autosaved edits
    first (the dialog restores the ones the user keeps); a recovered one opens unless another was asked for."""
    from studio.ui.timeline import offer_recovery

    recovered = offer_recovery(lib)
    return requested if requested is not None else recovered


def run_gui(library: str | None = None, project_id: int | None = None) -> int:
    """Open the studio window on the library (the --library value, else $KINORA_LIBRARY, else the default).

    `project_id` opens that project in the timeline (default: the last one worked on). Returns the exit status.
    """
    gc.disable()  # until the first frame: see _keep_launch_objects
    from PySide6.QtWidgets import QMessageBox

    _skip_pyside_source_scan()

    from studio.errors import KinoraError
    from studio.library import Library
    from studio.paths import resolve_library_dir
    from studio.ui.first_frame import after_first_frame

    app = make_application()
    try:
        lib = Library.open(resolve_library_dir(library))
    except KinoraError as exc:
        QMessageBox.critical(None, APP_NAME, f"The library cannot be opened.\n\n{exc}")
        print(f"kinora: {exc}", file=sys.stderr)
        return 1
    # Ctrl+C in the terminal closes the window properly (Python sees the signal between Qt events).
    signal.signal(signal.SIGINT, lambda _signum, _frame: app.closeAllWindows())
    try:
        project_id = project_to_open(lib, project_id)
        window = create_main_window(lib, project_id=project_id)
        window.show()
        after_first_frame(window, _keep_launch_objects)
        window.start()
        status = app.exec()
        window.shutdown()
    finally:
        _keep_launch_objects()  # a window that failed to open: collection back on all the same
        from studio.ui.tasks import wait_for_tasks

        wait_for_tasks(10000)  # background queries finish before the database closes
        lib.close()
    return int(status)
