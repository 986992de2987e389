"""The Models page with fake statuses and a fake pull: progress from a worker, cancel, resume, delete."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from studio.app import make_application
from studio.cancel import CancelToken
from studio.engine.install import InstallState
from studio.engine.model_status import ModelStatus
from studio.engine.pull import PullProgress
from studio.engine.registry import get_model
from studio.ui.models_page import ModelsPage


def status(model_id: str, state: InstallState, location: Path | None = None) -> ModelStatus:
    return ModelStatus(get_model(model_id), state, ("transformer/x.safetensors is cut short",)
                       if state is InstallState.INCOMPLETE else (), location, 68.6, 34.3, 68.0 if location else None,
                       "fp8_model_offload", 20.0, "Test GPU")


@pytest.fixture
def states():
    return {"ltx-2": status("ltx-2", InstallState.MISSING), "ltx-2.3": status("ltx-2.3", InstallState.INCOMPLETE),
            "ltx-2.5": status("ltx-2.5", InstallState.INSTALLED, Path("/models/ltx-2.5"))}


def make_page(qtbot, states, **kwargs) -> ModelsPage:
    make_application()
    page = ModelsPage(load=lambda: list(states.values()), **kwargs)
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.table.rowCount() == len(states))
    return page


def cell(page: ModelsPage, model_id: str, column: int) -> str:
    for row in range(page.table.rowCount()):
        if page.table.item(row, 0).data(0x0100) == model_id:
            return page.table.item(row, column).text()
    raise KeyError(model_id)


def test_the_page_lists_state_size_memory_and_plan(qtbot, states):
    page = make_page(qtbot, states)
    assert cell(page, "ltx-2", 1) == "missing" and cell(page, "ltx-2.3", 1).startswith("incomplete (")
    assert (cell(page, "ltx-2", 2), cell(page, "ltx-2", 3), cell(page, "ltx-2", 4)) == (
        "68.6 GB", "~20 GB", "fp8_model_offload")
    page.select("ltx-2.3")
    assert page.download_button.text() == "Resume download" and page.download_button.isEnabled()
    page.select("ltx-2.5")
    assert not page.download_button.isEnabled() and page.delete_button.isEnabled()


def test_a_download_reports_progress_from_a_worker_and_refreshes_when_done(qtbot, states):
    gui = threading.get_ident()
    threads = []

    def fake_pull(spec, sink, token: CancelToken):
        threads.append(threading.get_ident())
        for done in (10, 40, 100):
            sink(PullProgress(spec.id, done * 10**9 // 100, 10**9, 50e6, (100 - done) / 5, "transformer/a"))
            time.sleep(0.3)
        states[spec.id] = status(spec.id, InstallState.INSTALLED, Path("/models/x"))
        return Path("/models/x")

    page = make_page(qtbot, states, pull_fn=fake_pull)
    seen = []
    page._timer.timeout.connect(lambda: seen.append(page.status.text()))
    with qtbot.waitSignal(page.models_changed, timeout=10000):
        page.pull("ltx-2")
        assert page.cancel_button.isEnabled() and not page.download_button.isEnabled()
    assert threads and threads[0] != gui  # never on the GUI thread
    assert any("GB · 50.0 MB/s" in text and "left" in text for text in seen)
    assert "downloaded and verified" in page.status.text()
    qtbot.waitUntil(lambda: cell(page, "ltx-2", 1) == "installed")


def test_cancel_stops_the_download_and_says_it_resumes(qtbot, states):
    def slow_pull(spec, sink, token: CancelToken):
        while True:
            token.raise_if_cancelled()
            sink(PullProgress(spec.id, 1, 10, 0.0, None, "transformer/a"))
            time.sleep(0.05)

    page = make_page(qtbot, states, pull_fn=slow_pull)
    page.pull("ltx-2")
    qtbot.waitUntil(lambda: "Downloading ltx-2" in page.status.text(), timeout=5000)
    page.cancel()
    qtbot.waitUntil(lambda: "stopped" in page.status.text(), timeout=5000)
    assert "resume" in page.status.text() and page.download_button.isEnabled() is False  # nothing selected
    page.select("ltx-2")
    assert page.download_button.isEnabled()


def test_delete_asks_first_and_frees_the_space(qtbot, states):
    deleted = []

    def fake_delete(spec):
        deleted.append(spec.id)
        states[spec.id] = status(spec.id, InstallState.MISSING)
        return 71 * 10**9

    answers = iter([False, True])
    page = make_page(qtbot, states, delete_fn=fake_delete, confirm=lambda parent, text: next(answers))
    page.delete("ltx-2.5")
    assert deleted == []  # said no
    with qtbot.waitSignal(page.models_changed):
        page.delete("ltx-2.5")
    assert deleted == ["ltx-2.5"] and "71.0 GB freed" in page.status.text()
    qtbot.waitUntil(lambda: cell(page, "ltx-2.5", 1) == "missing")
