"""Settings > Engine: the choice is saved, and a Ray cluster that cannot be used leaves the local engine running
with a one-line notice."""

from __future__ import annotations

from window_helpers import open_window

from studio.app import make_application
from studio.engine import EngineKind, EngineSettings
from studio.engine.process import EngineProcess
from studio.ui.engine_settings import EngineSettingsDialog, read_engine_settings, write_engine_settings


def test_the_dialog_saves_a_ray_cluster_and_this_computer(qtbot):
    make_application()
    assert read_engine_settings() == EngineSettings()  # nothing saved: this computer
    dialog = EngineSettingsDialog()
    qtbot.addWidget(dialog)
    assert dialog.local.isChecked() and not dialog.address.isEnabled()
    dialog.cluster.setChecked(True)
    assert dialog.address.isEnabled()
    dialog.accept()  # no address yet: nothing is saved, the dialog stays open
    assert read_engine_settings().kind == EngineKind.LOCAL
    dialog.address.setText(" 10.0.0.5:6379 ")
    dialog.storage.setText("/mnt/kinora")
    dialog.accept()
    assert read_engine_settings() == EngineSettings.ray("10.0.0.5:6379", "kinora", "/mnt/kinora")
    again = EngineSettingsDialog()
    qtbot.addWidget(again)
    assert again.cluster.isChecked() and again.address.text() == "10.0.0.5:6379"
    again.local.setChecked(True)
    again.accept()
    assert read_engine_settings() == EngineSettings()


def test_an_unusable_cluster_leaves_the_local_engine_with_one_notice(qtbot, lib):
    make_application()
    write_engine_settings(EngineSettings.ray("127.0.0.1:9"))
    window = open_window(qtbot, lib)
    try:
        assert window.runner is None  # joining happens on a worker thread, not while the window opens
        qtbot.waitUntil(lambda: window.runner is not None, timeout=60_000)
        assert isinstance(window.runner, EngineProcess)
        errors = [text for text, error in window.messages if error]
        assert len(errors) == 1 and "\n" not in errors[0] and "Ray" in errors[0]
    finally:
        window.shutdown()
