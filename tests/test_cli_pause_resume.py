"""`kinora pause` / `kinora resume` (issue 15): pause a take another engine is generating, then resume it here from
the step it paused at. Before, the CLI had no way to pause, and a resumed job started again from step 1."""

from __future__ import annotations

import json
import time

from studio.cli import main
from studio.engine import resume
from studio.engine.events import EngineEvent
from studio.engine.runner import Runner
from studio.library import Library
from studio.recipe import Recipe


def test_pause_reaches_the_engine_running_the_take_and_resume_continues_here(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "lib"
    lib = Library.open(folder)
    steps_seen: list[int] = []

    def slow(event: EngineEvent) -> None:  # the other engine: slow steps, so the pause lands mid-run
        if event.phase == "denoising":
            steps_seen.append(event.step)
            time.sleep(0.3)

    engine = Runner(lib, on_event=slow)
    engine.start()
    try:
        take_id = engine.submit(Recipe("a paper boat", model_id="tiny-random", width=32, height=32, fps=24.0,
                                       seconds=0.5, steps=12, seed=3))
        deadline = time.monotonic() + 300
        while not steps_seen and time.monotonic() < deadline:
            time.sleep(0.1)
        assert main(["pause", str(take_id), "--library", str(folder), "--json"]) == 0
        said = json.loads(capsys.readouterr().out)
    finally:
        engine.stop()
    job = lib.jobs_for_take(take_id)[0]
    assert job.status == "paused" and job.resume_step is not None and 0 < job.resume_step < 12
    assert said["note"] == f"Resume continues from step {job.resume_step + 1} of 12."
    assert resume.resume_path(lib.cache_dir, job.id).is_file()
    lib.close()

    started_from: list[int | None] = []
    original = Runner._resume_checkpoint

    def spy(self, *args, **kwargs):
        checkpoint = original(self, *args, **kwargs)
        started_from.append(checkpoint.resume_from.take_step if checkpoint.resume_from else None)
        return checkpoint

    monkeypatch.setattr(Runner, "_resume_checkpoint", spy)
    assert main(["resume", str(take_id), "--library", str(folder)]) == 0
    assert started_from == [job.resume_step]  # the run here continued from the kept step
    out = capsys.readouterr().out
    assert f"Take {take_id}: Resume continues from step {job.resume_step + 1} of 12." in out
    lib = Library.open(folder)
    try:
        assert lib.take(take_id).status == "done"
        assert not resume.resume_path(lib.cache_dir, job.id).exists()
    finally:
        lib.close()


def test_resume_refuses_a_take_that_is_not_paused(tmp_path, capsys):
    folder = tmp_path / "lib"
    with Library.open(folder) as lib:
        take = lib.create_take(Recipe("a boat", model_id="tiny-random", width=32, height=32, seconds=0.5))
    assert main(["resume", str(take.id), "--library", str(folder)]) == 2
    assert "is not paused" in capsys.readouterr().err
