"""`kinora generate` and the one engine per machine that owns the GPU (the engine lock, issue 17)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from studio.cli import main
from studio.cli.progress import ProgressBar
from studio.engine.process import _start_when_free
from studio.engine.runner import Runner
from studio.library import Library
from studio.library.owner import EngineLock
from tests.test_server_engine_owner import STUDIO_ENGINE, python_process

MATTE = ["--model", "builtin:matte", "--seconds", "1", "--size", "64x36"]  # the fastest real generation

# An engine that holds the lock as `kinora serve` but runs nothing: a take queued for it waits.
IDLE_OWNER = """
import sys
from studio.library import Library
from studio.library.owner import EngineLock
lib = Library.open(sys.argv[1], recover_jobs=False)
assert EngineLock(lib.root, "serve").acquire()
print("ready", flush=True)
sys.stdin.readline()
"""


def test_generate_beside_the_studios_engine_queues_the_take_for_that_engine(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # The old command always ran its own in-process engine (a second model load beside the studio's); the old
    # tests only ran it in libraries no engine owned.
    folder = tmp_path / "lib"
    Library.open(folder).close()

    def not_here(self: Runner, take_id: int) -> None:
        raise AssertionError("generated in this process while the studio's engine owns the GPU")

    monkeypatch.setattr(Runner, "run_take", not_here)
    with python_process(STUDIO_ENGINE, str(folder)) as studio:
        assert studio.stdout.readline().strip() == "ready"
        assert main(["generate", "red", *MATTE, "--library", str(folder), "--json"]) == 0
    captured = capsys.readouterr()
    take_id = json.loads(captured.out)["take_id"]
    assert f"queued for the studio's engine (process {studio.pid})" in captured.err
    with Library.open(folder) as lib:
        assert lib.take(take_id).status == "done"
        row = lib.database.query_one("SELECT owner_pid, phase FROM jobs WHERE take_id = ?", (take_id,))
        assert row["owner_pid"] == studio.pid  # the studio's engine made it
        assert row["phase"]  # and wrote where it was, for this command to show


def test_generate_with_no_engine_runs_here_holding_the_lock(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the lock, a studio opened meanwhile loaded the same model beside the CLI's engine.
    folder = tmp_path / "lib"
    seen: list[str] = []
    run_take = Runner.run_take

    def spy(self: Runner, take_id: int) -> None:
        holder = EngineLock(folder, "studio").holder()
        seen.append(holder.role if holder is not None else "nobody")
        run_take(self, take_id)

    monkeypatch.setattr(Runner, "run_take", spy)
    assert main(["generate", "red", *MATTE, "--library", str(folder), "--json"]) == 0
    assert seen == ["cli"]
    assert not (folder / "engine.lock").exists()  # given back when done
    assert "queued for" not in capsys.readouterr().err


def test_ctrl_c_while_another_engine_has_the_take_cancels_it_in_the_library(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "lib"
    Library.open(folder).close()

    close = ProgressBar.close

    def ctrl_c_once_told(self: ProgressBar, message: str = "") -> None:  # the user reads the line, then Ctrl+C
        close(self, message)
        if "queued for" in message:
            raise KeyboardInterrupt

    monkeypatch.setattr(ProgressBar, "close", ctrl_c_once_told)
    with python_process(IDLE_OWNER, str(folder)) as owner:
        assert owner.stdout.readline().strip() == "ready"
        assert main(["generate", "red", *MATTE, "--library", str(folder)]) == 2
    captured = capsys.readouterr()
    assert "`kinora serve`'s engine" in captured.err and "Canceled" in captured.err
    with Library.open(folder) as lib:
        take = lib.take(lib.database.query_one("SELECT id FROM takes")["id"])
        assert take.status == "canceled"
        assert [job.status for job in lib.jobs_for_take(take.id)] == ["canceled"]


def test_the_studios_engine_waits_for_a_generate_that_holds_the_gpu(tmp_path: Path) -> None:
    cli = EngineLock(tmp_path, "cli")
    assert cli.acquire()
    started = threading.Event()

    class Engine:
        def start(self) -> None:
            started.set()

    closing = threading.Event()
    studio = EngineLock(tmp_path, "studio")
    waiter = threading.Thread(target=_start_when_free, args=(studio, Engine(), closing))
    waiter.start()
    try:
        assert not started.wait(1.2)  # the CLI's take still runs: no second engine
        cli.release()
        assert started.wait(10)
        assert EngineLock(tmp_path, "x").holder().role == "studio"
    finally:
        closing.set()
        waiter.join(5)
        studio.release()
