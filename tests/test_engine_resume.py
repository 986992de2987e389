"""Resume from the paused step (issue 15): a job paused while denoising continues from that step.

The proof is equality: pausing at step k of N and resuming gives the uninterrupted run's frames and sound (same
seed), and the resumed run calls the transformer only for the steps left. Before this, a resumed job ran again
from step 0 (events.RESUME_RESTARTS was the only thing a paused job could say).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.cancel import CancelToken
from studio.engine import resume
from studio.engine.backends import load_backend
from studio.engine.backends.base import SourceClip
from studio.engine.events import EngineEvent
from studio.engine.memory import MemoryPlan
from studio.engine.registry import DEFAULT_REGISTRY, get_model
from studio.engine.runner import Runner
from studio.errors import Cancelled
from studio.library import Library
from studio.recipe import Recipe

CPU32 = MemoryPlan("cpu", "float32", "none", vae_tiling=False)
TINY = dict(model_id="tiny-random", fps=24.0, steps=4, seconds=0.5, seed=7)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def backend():
    return load_backend(get_model("tiny-random"), CPU32, DEFAULT_REGISTRY)


def count_calls(monkeypatch, backend):
    calls = {"n": 0}
    transformer = backend.pipe.transformer
    original = transformer.forward

    def counted(*args, **kwargs):
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(transformer, "forward", counted)
    return calls


def generate(backend, recipe, checkpoint=None, pause_at=None, source=None):
    """Run the backend; with `pause_at`, pause (as the runner does) when step `pause_at` of the take is reported."""
    token = CancelToken("generation")

    def progress(phase, step, total, preview):
        if phase == "denoising" and step == pause_at:
            token.cancel("paused")

    return backend.generate(recipe, source=source, progress=progress, cancel=token, checkpoint=checkpoint)


def paused_point(backend, recipe, pause_at, tmp_path, source=None):
    """Pause at `pause_at`; the kept point goes through the resume file, as it does between engine runs."""
    checkpoint = resume.Checkpoint()
    with pytest.raises(Cancelled):
        generate(backend, recipe, checkpoint, pause_at, source)
    assert checkpoint.kept is not None and checkpoint.kept.take_step == pause_at
    path = tmp_path / "job-1.safetensors"
    resume.save(path, checkpoint.kept, model_id="tiny-random", recipe=recipe)
    return resume.load(path, model_id="tiny-random", recipe=recipe)


def assert_same_clip(resumed, whole):
    assert resumed.frames.shape == whole.frames.shape and resumed.audio.shape == whole.audio.shape
    # Float rounding only: the packed audio latents are denormalised and normalised again on the way in.
    assert np.abs(resumed.frames.astype(int) - whole.frames.astype(int)).max() <= 1
    np.testing.assert_allclose(resumed.audio, whole.audio, atol=1e-4)
    assert np.abs(whole.frames.astype(int) - 128).mean() > 1  # not a blank clip that any run would match


@pytest.fixture(scope="module")
def uninterrupted(backend):
    """size -> (the uninterrupted clip, its transformer calls); each size runs once for the module."""
    runs = {}

    def get(size, recipe):
        if size not in runs:
            with pytest.MonkeyPatch.context() as patch:
                calls = count_calls(patch, backend)
                runs[size] = (generate(backend, recipe), calls["n"])
        return runs[size]

    return get


@pytest.mark.parametrize(("size", "pause_at", "stage"), [
    (32, 1, 0),  # one pass: paused after step 1 of 4
    (32, 3, 0),  # one pass: paused after step 3 of 4
    (64, 2, 0),  # two stages (tiny-random upscales above 48 px): paused in the half-size pass
    (64, 5, 1),  # two stages: paused in the refinement after the latent upsampler
])
def test_pause_at_step_k_then_resume_gives_the_uninterrupted_clip_running_only_the_steps_left(
        backend, uninterrupted, monkeypatch, tmp_path, size, pause_at, stage):
    recipe = Recipe("a red kite over dunes", width=size, height=size, **TINY)
    whole, whole_calls = uninterrupted(size, recipe)
    calls = count_calls(monkeypatch, backend)
    point = paused_point(backend, recipe, pause_at, tmp_path)
    assert point.stage == stage
    calls["n"] = 0
    resumed = generate(backend, recipe, resume.Checkpoint(resume_from=point))
    assert_same_clip(resumed, whole)
    per_step = backend.version.transformer_passes()
    steps = recipe.steps
    if size == 32:
        assert whole_calls == steps * per_step
        expected = (steps - pause_at) * per_step
    else:  # the refinement runs its 3 sigmas unguided: one call a step
        assert whole_calls == steps * per_step + 3
        expected = max(0, steps - pause_at) * per_step + 3 - max(0, pause_at - steps)
    assert calls["n"] == expected


def test_video_to_video_resumes_from_its_paused_step(backend, tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(24000) / 48000
    audio = np.repeat((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None], 2, axis=1)
    source = SourceClip(rng.integers(0, 255, (12, 32, 32, 3), dtype=np.uint8), audio, 48000, 24.0)
    recipe = Recipe("a red kite", width=32, height=32, mode="video", strength=0.75, source_path="parent.mp4", **TINY)
    whole = generate(backend, recipe, source=source)
    point = paused_point(backend, recipe, 1, tmp_path, source=source)
    resumed = generate(backend, recipe, resume.Checkpoint(resume_from=point), source=source)
    assert_same_clip(resumed, whole)


def test_a_mode_that_cannot_resume_keeps_no_point_and_says_why(backend, tmp_path):
    import cv2

    image = tmp_path / "start.png"
    cv2.imwrite(str(image), np.full((32, 32, 3), 90, np.uint8))
    recipe = Recipe("a red kite", width=32, height=32, mode="image", image=str(image), **TINY)
    checkpoint = resume.Checkpoint()
    with pytest.raises(Cancelled):
        generate(backend, recipe, checkpoint, pause_at=1)
    assert checkpoint.kept is None
    assert "LTX2ConditionPipeline" in backend.resume_support(recipe)


# ---- the runner: the resume file, the job row, the messages -------------------------------------------------
def pausing_runner(lib, events, pause_at):
    """A runner that pauses its take once, when step `pause_at` is reported."""
    paused = []

    def on_event(event):
        events.append(event)
        if event.phase == "denoising" and event.step == pause_at and not paused:
            paused.append(event.take_id)
            runner.pause(event.take_id)

    runner = Runner(lib, on_event=on_event)
    return runner


def frames_and_sound(lib, take_id):
    from studio.media.audio import read_audio
    from studio.media.decode import FrameReader

    take = lib.take(take_id)
    assert take.status == "done", take.error
    path = lib.media_path(lib.media(take.media_id))
    with FrameReader(path) as reader:
        frames = np.stack([frame for _, frame in reader.iter_frames()])
    return frames, read_audio(path)


def show_json(folder, take_id):
    run = [sys.executable, "-m", "studio", "library", "show", str(take_id), "--json", "--library", str(folder)]
    return json.loads(subprocess.run(run, cwd=REPO, capture_output=True, text=True, timeout=120, check=True).stdout)


def test_a_paused_job_continues_in_a_new_engine_from_its_resume_file(tmp_path):
    folder = tmp_path / "lib"
    recipe = Recipe("a lighthouse at night", width=32, height=32, **{**TINY, "seed": None})
    lib = Library.open(folder)
    events: list[EngineEvent] = []
    runner = pausing_runner(lib, events, pause_at=2)
    take_id = runner.submit(recipe)
    runner.run_until_idle()
    job = lib.jobs_for_take(take_id)[0]
    assert job.status == "paused" and job.resume_step == 2
    assert next(e for e in events if e.phase == "paused").message == "Resume continues from step 3 of 4."
    path = resume.resume_path(lib.cache_dir, job.id)
    assert path.is_file()
    lib.close()
    assert show_json(folder, take_id)["jobs"][0]["note"] == "Resume continues from step 3 of 4."

    lib = Library.open(folder)  # an engine restart: a new library session, a new runner
    try:
        events.clear()
        runner = Runner(lib, on_event=events.append)
        runner.resume(take_id)
        runner.run_until_idle()
        steps = [e.step for e in events if e.phase == "denoising"]
        assert steps == [3, 4]  # only the steps left
        assert any(e.message == "Continuing from step 3 of 4" for e in events)
        resumed = frames_and_sound(lib, take_id)
        assert not path.exists() and lib.jobs_for_take(take_id)[0].resume_step is None
        # The same recipe with the seed the paused run drew, uninterrupted: the same clip.
        seed = lib.take(take_id).recipe.seed
        assert seed is not None
        whole_id = runner.submit(dataclasses.replace(recipe, seed=seed))
        runner.run_until_idle()
        whole = frames_and_sound(lib, whole_id)
        assert resumed[0].shape == whole[0].shape
        assert np.abs(resumed[0].astype(int) - whole[0].astype(int)).mean() < 0.5  # H.264 of near-equal frames
        # AAC's quantiser turns float rounding into small differences; a different clip differs at full scale.
        difference = np.sqrt(np.mean((resumed[1] - whole[1]) ** 2))
        assert difference < 0.02 * np.sqrt(np.mean(whole[1] ** 2))
    finally:
        lib.close()


@pytest.mark.parametrize("damage", ["truncate", "flip", "other model"])
def test_a_resume_file_that_does_not_fit_is_dropped_with_a_reason_and_the_job_restarts(lib, damage, caplog):
    events: list[EngineEvent] = []
    runner = pausing_runner(lib, events, pause_at=1)
    take_id = runner.submit(Recipe("a lighthouse at night", width=32, height=32, **TINY))
    runner.run_until_idle()
    job = lib.jobs_for_take(take_id)[0]
    path = resume.resume_path(lib.cache_dir, job.id)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:-8] + bytes(b ^ 0xFF for b in data[-8:]))
    else:
        point = resume.load(path, model_id="tiny-random", recipe=lib.take(take_id).recipe)
        resume.save(path, point, model_id="ltx-2", recipe=lib.take(take_id).recipe)
    events.clear()
    runner.resume(take_id)
    runner.run_until_idle()
    reason = {"truncate": "damaged", "flip": "damaged", "other model": "made with model 'ltx-2'"}[damage]
    note = next(e.message for e in events if e.message.startswith("Resume point not used"))
    assert reason in note and "starting again from the first step" in note
    assert reason in caplog.text
    assert [e.step for e in events if e.phase == "denoising"] == [1, 2, 3, 4]
    assert lib.take(take_id).status == "done" and not path.exists()


def test_resume_files_name_a_changed_recipe(tmp_path):
    import torch

    recipe = Recipe("a lighthouse", width=32, height=32, **TINY)
    point = resume.ResumePoint(stage=0, step=1, steps=2, sigmas=[1.0, 0.5], latents=torch.zeros(1, 2, 3),
                               audio_latents=torch.zeros(1, 2, 3), take_step=1, take_total=2, seed=7)
    path = tmp_path / "job-1.safetensors"
    resume.save(path, point, model_id="tiny-random", recipe=recipe)
    assert resume.load(path, model_id="tiny-random", recipe=recipe).remaining_sigmas == [0.5]
    with pytest.raises(resume.ResumeMismatch, match="recipe changed"):
        resume.load(path, model_id="tiny-random", recipe=recipe.replace(prompt="a lighthouse at dawn"))


def test_a_mode_that_cannot_resume_says_so_in_its_jobs_message(lib, tmp_path):
    import cv2

    image = tmp_path / "start.png"
    cv2.imwrite(str(image), np.full((32, 32, 3), 90, np.uint8))
    events: list[EngineEvent] = []
    runner = pausing_runner(lib, events, pause_at=1)
    take_id = runner.submit(Recipe("a kite", width=32, height=32, mode="image", image=str(image), **TINY))
    runner.run_until_idle()
    job = lib.jobs_for_take(take_id)[0]
    message = next(e for e in events if e.phase == "paused").message
    assert message.startswith("Resume restarts it from the first step: mode 'image' runs LTX2ConditionPipeline")
    assert job.resume_step is None and job.resume_note == message.rstrip(".")
    assert not resume.resume_path(lib.cache_dir, job.id).exists()


def test_a_resumed_jobs_eta_counts_only_the_steps_this_run_made(monkeypatch):
    # The old reporter divided the time since encoding by the take's step number, so a job resumed at step 6 of 8
    # looked six times faster than it was.
    from studio.engine import runner as runner_module

    clock = [100.0]
    monkeypatch.setattr(runner_module.time, "monotonic", lambda: clock[0])
    events: list[EngineEvent] = []
    reporter = runner_module._Reporter(events.append, 1, 1, preview_every=4)
    reporter.phase("encoding")
    clock[0] = 110.0
    reporter("denoising", 6, 8, None)  # the first step this run made took 10 s
    clock[0] = 120.0
    reporter("denoising", 7, 8, None)
    assert events[-1].eta_s == pytest.approx(10.0)
