"""The runner end to end with tiny-random: takes, events, cancel, OOM retry, crash recovery, remixes."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from studio.engine.events import EngineEvent
from studio.engine.registry import BUILTIN_MODELS, Registry, get_model
from studio.engine.runner import Runner
from studio.library import Library
from studio.media.audio import read_audio
from studio.media.decode import FrameReader
from studio.media.probe import probe
from studio.recipe import Recipe

TINY = dict(model_id="tiny-random", width=32, height=32, fps=24.0, steps=4)


def make_runner(lib, events=None, **kwargs):
    sink = events if events is not None else []
    return Runner(lib, on_event=sink.append, **kwargs)


def take_file(lib, take_id):
    take = lib.take(take_id)
    assert take.status == "done", take.error
    return lib.media_path(lib.media(take.media_id))


def frames_of(path):
    with FrameReader(path) as reader:
        return np.stack([frame for _, frame in reader.iter_frames()])


def stored_files(lib):
    return sorted(p for p in (lib.root / "media").rglob("*") if p.is_file())


def test_a_take_has_video_and_sound_of_the_requested_length(lib):
    runner = make_runner(lib)
    take_id = runner.submit(Recipe("a red ball bounces", seconds=1.0, seed=7, **TINY))
    runner.run_until_idle()
    info = probe(take_file(lib, take_id))
    assert info.has_video and info.has_audio
    assert info.duration == pytest.approx(1.0, abs=0.05)
    assert (info.width, info.height) == (32, 32)
    sound = read_audio(take_file(lib, take_id))
    assert np.sqrt(np.mean(sound**2)) > 1e-4  # the model's audio, not a silent track
    take = lib.take(take_id)
    assert take.recipe.seed == 7 and take.timings["total_s"] > 0


def test_same_seed_gives_the_same_frames_and_a_random_seed_is_recorded(lib):
    runner = make_runner(lib)
    first = runner.submit(Recipe("a red ball", seconds=0.5, seed=11, **TINY))
    second = runner.submit(Recipe("a red ball", seconds=0.5, seed=11, **TINY))
    other = runner.submit(Recipe("a red ball", seconds=0.5, seed=None, **TINY))
    runner.run_until_idle()
    np.testing.assert_array_equal(frames_of(take_file(lib, first)), frames_of(take_file(lib, second)))
    assert lib.take(other).recipe.seed is not None
    assert not np.array_equal(frames_of(take_file(lib, first)), frames_of(take_file(lib, other)))


def test_progress_events_arrive_for_every_step_with_a_preview(lib):
    events: list[EngineEvent] = []
    runner = make_runner(lib, events, preview_every=2)
    take_id = runner.submit(Recipe("a cat", seconds=0.5, seed=1, **{**TINY, "steps": 6}))
    runner.run_until_idle()
    steps = [e.step for e in events if e.phase == "denoising"]
    assert steps == [1, 2, 3, 4, 5, 6]
    phases = [e.phase for e in events]
    for phase in ("queued", "loading", "encoding", "denoising", "decoding", "writing", "done"):
        assert phase in phases
    previews = [e for e in events if e.preview_rgb is not None]
    assert [e.step for e in previews] == [1, 2, 4, 6]  # the first step too: the Queue shows one at once
    assert previews[0].preview_rgb.dtype == np.uint8 and previews[0].preview_rgb.shape[2] == 3
    assert all(e.take_id == take_id for e in events)
    assert events[-1].phase == "done"


def test_cancel_mid_run_leaves_a_canceled_take_and_no_stray_file(lib):
    events: list[EngineEvent] = []
    runner = Runner(lib, on_event=lambda e: (events.append(e), e.phase == "denoising" and e.step == 2
                                             and runner.cancel(e.take_id)))
    take_id = runner.submit(Recipe("a dog", seconds=0.5, seed=3, **{**TINY, "steps": 8}))
    runner.run_until_idle()
    take = lib.take(take_id)
    assert take.status == "canceled" and take.media_id is None
    assert max(e.step for e in events if e.phase == "denoising") == 2  # stopped within one step
    assert events[-1].phase == "canceled"
    assert stored_files(lib) == []
    assert not any((lib.cache_dir / "engine").rglob("*.mp4"))
    assert [j.status for j in lib.jobs_for_take(take_id)] == ["canceled"]


def test_canceling_a_waiting_job_never_runs_it(lib):
    runner = make_runner(lib)
    take_id = runner.submit(Recipe("a bird", seconds=0.5, **TINY))
    runner.cancel(take_id)
    runner.run_until_idle()
    assert lib.take(take_id).status == "canceled"


def _fake_gpu(monkeypatch):
    """Pretend a small CUDA card is present but place the tiny model on the CPU, recording each plan."""
    import studio.engine.runner as runner_module
    from studio.engine.backends import load_backend as real_load
    from studio.engine.memory import DeviceInfo, MemoryPlan

    plans = []
    monkeypatch.setattr(runner_module, "detect_device", lambda: DeviceInfo("cuda", "Fake", 80.0, 80.0, 64.0, True))

    def load_on_cpu(spec, plan, registry):
        plans.append(plan.policy)
        return real_load(spec, MemoryPlan("cpu", "float32", "none", False), registry)

    monkeypatch.setattr(runner_module, "load_backend", load_on_cpu)
    return runner_module, plans


def _oom_on_first_generation(monkeypatch, runner_module) -> None:
    import torch

    real_generate = runner_module.generate_clip
    calls = []

    def oom_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(runner_module, "generate_clip", oom_once)


def test_out_of_memory_retries_once_with_the_next_policy(lib, monkeypatch):
    runner_module, plans = _fake_gpu(monkeypatch)
    _oom_on_first_generation(monkeypatch, runner_module)
    runner = make_runner(lib)
    take_id = runner.submit(Recipe("a boat", seconds=0.5, seed=2, **TINY))
    runner.run_until_idle()
    assert lib.take(take_id).status == "done"
    assert plans == ["none", "model_offload"]


def test_out_of_memory_while_loading_takes_the_same_retry_path(lib, monkeypatch):
    # Old code loaded the model outside the retry: an OOM while loading failed the take at once.
    import torch

    runner_module, plans = _fake_gpu(monkeypatch)
    loading = runner_module.load_backend

    def oom_on_first_load(spec, plan, registry):
        if len(plans) == 0:
            plans.append(plan.policy)
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 35.00 GiB")
        return loading(spec, plan, registry)

    monkeypatch.setattr(runner_module, "load_backend", oom_on_first_load)
    events: list[EngineEvent] = []
    runner = make_runner(lib, events)
    take_id = runner.submit(Recipe("a boat", seconds=0.5, seed=2, **TINY))
    runner.run_until_idle()
    assert lib.take(take_id).status == "done"
    assert plans == ["none", "model_offload"]
    assert any("trying again with memory policy 'model_offload'" in e.message for e in events)


def test_after_running_out_of_memory_the_next_identical_job_keeps_the_plan_that_worked(lib, monkeypatch):
    # Without this, each job would reload the model into the failing plan, run out of memory and reload again.
    runner_module, plans = _fake_gpu(monkeypatch)
    _oom_on_first_generation(monkeypatch, runner_module)
    runner = make_runner(lib)
    first = runner.submit(Recipe("a boat", seconds=0.5, seed=2, **TINY))
    second = runner.submit(Recipe("a boat", seconds=0.5, seed=2, **TINY))
    runner.run_until_idle()
    assert lib.take(first).status == lib.take(second).status == "done"
    assert plans == ["none", "model_offload"]  # the second job reused the warm model_offload model


def test_out_of_memory_twice_fails_the_take_with_a_tip(lib, monkeypatch):
    import torch

    runner_module, plans = _fake_gpu(monkeypatch)

    def always_oom(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(runner_module, "generate_clip", always_oom)
    events: list[EngineEvent] = []
    runner = make_runner(lib, events)
    take_id = runner.submit(Recipe("a boat", seconds=0.5, **TINY))
    runner.run_until_idle()
    take = lib.take(take_id)
    assert take.status == "failed"
    assert "Out of memory" in take.error and "model_offload" in take.error and "smaller size" in take.error
    assert plans == ["none", "model_offload"]
    assert events[-1].phase == "failed" and events[-1].message == take.error


def test_a_job_queued_before_a_crash_is_there_paused_after_reopening(tmp_path):
    folder = tmp_path / "library"
    lib = Library.open(folder)
    take_id = make_runner(lib).submit(Recipe("a train", seconds=0.5, seed=4, **TINY))
    lib.close()  # the process dies before the worker gets to it

    lib = Library.open(folder)
    try:
        jobs = [j for j in lib.list_jobs() if j.take_id == take_id]
        assert [j.status for j in jobs] == ["paused"]
        runner = make_runner(lib)
        runner.run_until_idle()
        assert lib.take(take_id).status == "queued"  # paused jobs wait for the user
        runner.resume(take_id)
        runner.run_until_idle()
        assert lib.take(take_id).status == "done"
    finally:
        lib.close()


def test_pause_parks_the_running_job_unloads_and_resume_finishes_it(lib):
    events: list[EngineEvent] = []
    runner = Runner(lib, on_event=lambda e: (events.append(e), e.phase == "denoising" and e.step == 1
                                             and not any(x.phase == "paused" for x in events)
                                             and runner.pause(e.take_id)))
    take_id = runner.submit(Recipe("a horse", seconds=0.5, seed=5, **TINY))
    runner.run_until_idle()
    assert [j.status for j in lib.jobs_for_take(take_id)] == ["paused"]
    assert lib.take(take_id).status == "queued"
    assert runner._backend is None  # the model was unloaded
    runner.resume(take_id)
    runner.run_until_idle()
    assert lib.take(take_id).status == "done"


@pytest.mark.parametrize(("mode", "extra", "expected_seconds"), [
    ("extend", {}, 1.5),
    ("video", {"strength": 0.5}, 1.0),
    ("retake", {"range_from": 0.25, "range_to": 0.75}, 1.0),
])
def test_every_remix_mode_runs_on_a_parent_take(lib, mode, extra, expected_seconds):
    runner = make_runner(lib)
    parent = runner.submit(Recipe("a red ball", seconds=1.0, seed=1, **TINY))
    runner.run_until_idle()
    child = runner.submit(Recipe("a blue ball", seconds=0.5, seed=2, mode=mode, source_take_id=parent,
                                 **extra, **TINY))
    runner.run_until_idle()
    info = probe(take_file(lib, child))
    assert info.has_audio and info.duration == pytest.approx(expected_seconds, abs=0.05)
    take = lib.take(child)
    assert take.parent_take_id == parent and take.remix_kind == mode
    if mode != "extend":  # the recipe records the length that was made: the parent's
        assert take.recipe.seconds == pytest.approx(expected_seconds, abs=0.05)
    parent_frames, child_frames = frames_of(take_file(lib, parent)), frames_of(take_file(lib, child))
    def diff(a, b):  # mean pixel difference; re-encoding noise at 32x32 alone gives about 4
        return np.abs(a.astype(int) - b.astype(int)).mean()

    if mode == "extend":  # the parent's frames open the new take
        assert diff(child_frames[:24], parent_frames) < 8
    if mode == "retake":  # outside the range the parent is kept, inside it is new
        kept = diff(child_frames[:4], parent_frames[:4])
        assert kept < 8 and diff(child_frames[8:16], parent_frames[8:16]) > 2 * kept


def test_audio_off_gives_a_silent_track(lib):
    runner = make_runner(lib)
    take_id = runner.submit(Recipe("a quiet street", seconds=0.5, audio=False, **TINY))
    runner.run_until_idle()
    path = take_file(lib, take_id)
    assert probe(path).has_audio and not np.abs(read_audio(path)).max() > 1e-4


def test_large_sizes_are_generated_at_half_size_and_doubled_by_the_latent_upsampler(lib):
    runner = make_runner(lib)  # tiny-random's upscale threshold is 48 pixels
    take_id = runner.submit(Recipe("a wide view", seconds=0.5, seed=3, **{**TINY, "width": 64, "height": 64,
                                                                            "steps": 2}))
    runner.run_until_idle()
    assert (probe(take_file(lib, take_id)).width, probe(take_file(lib, take_id)).height) == (64, 64)
    assert "upscale_s" in lib.take(take_id).timings


def test_image_and_keyframe_modes_run(lib, tmp_path):
    import cv2

    image = tmp_path / "still.png"
    cv2.imwrite(str(image), np.full((40, 40, 3), 200, np.uint8))
    runner = make_runner(lib)
    ids = [runner.submit(Recipe("a cat", seconds=0.5, mode="image", image=str(image), **TINY)),
           runner.submit(Recipe("a cat", seconds=0.5, mode="keyframes", keyframes=(str(image), str(image)), **TINY))]
    runner.run_until_idle()
    assert all(probe(take_file(lib, i)).has_audio for i in ids)


def test_remix_of_a_file_from_outside_the_library(lib, tmp_path):
    runner = make_runner(lib)
    parent = runner.submit(Recipe("a red ball", seconds=0.5, seed=1, **TINY))
    runner.run_until_idle()
    received = tmp_path / "received.mp4"
    shutil.copyfile(take_file(lib, parent), received)
    child = runner.submit(Recipe("", seconds=0.5, mode="video", source_path=str(received), **TINY))
    runner.run_until_idle()
    assert probe(take_file(lib, child)).duration == pytest.approx(0.5, abs=0.05)


def test_a_missing_remix_file_fails_the_take_with_its_name(lib, tmp_path):
    runner = make_runner(lib)
    take_id = runner.submit(Recipe("", seconds=0.5, mode="video", source_path=str(tmp_path / "gone.mp4"), **TINY))
    runner.run_until_idle()
    take = lib.take(take_id)
    assert take.status == "failed" and "gone.mp4" in take.error


def test_clips_longer_than_the_model_allows_are_chained_into_one_take(lib):
    short = dataclasses.replace(get_model("tiny-random"), max_seconds=0.5)
    registry = Registry([short if s.id == "tiny-random" else s for s in BUILTIN_MODELS])
    events: list[EngineEvent] = []
    runner = make_runner(lib, events, registry=registry)
    take_id = runner.submit(Recipe("a long shot", seconds=1.5, seed=9, **TINY))
    runner.run_until_idle()
    info = probe(take_file(lib, take_id))
    assert info.duration == pytest.approx(1.5, abs=0.05) and info.has_audio
    totals = {e.total for e in events if e.phase == "denoising"}
    assert totals == {12}  # three segments of four steps, reported as one run


@pytest.mark.parametrize("model", ["builtin:title", "builtin:matte", "builtin:bars", "builtin:countdown"])
def test_builtin_generators_run_through_the_same_runner(lib, model):
    prompt = "red" if model == "builtin:matte" else "Kinora"
    events: list[EngineEvent] = []
    runner = make_runner(lib, events)
    take_id = runner.submit(Recipe(prompt, model_id=model, seconds=1.0, width=64, height=36, fps=24))
    runner.run_until_idle()
    info = probe(take_file(lib, take_id))
    assert (info.width, info.height) == (64, 36) and info.duration == pytest.approx(1.0, abs=0.05)
    assert "denoising" in [e.phase for e in events] and events[-1].phase == "done"


def test_unknown_mode_for_a_model_fails_at_submit(lib):
    from studio.errors import EngineError

    with pytest.raises(EngineError, match="cannot do mode 'video'"):
        make_runner(lib).submit(Recipe("x", model_id="builtin:bars", mode="video", source_path="/x.mp4"))


def test_worker_thread_generates_in_the_background(lib):
    import threading

    done = threading.Event()
    runner = Runner(lib, on_event=lambda e: e.phase == "done" and done.set())
    runner.start()
    try:
        take_id = runner.submit(Recipe("a car", seconds=0.5, **TINY))
        assert done.wait(120)
    finally:
        runner.stop()
    assert lib.take(take_id).status == "done"


def test_an_auto_length_take_records_the_length_the_model_chose(lib, monkeypatch):
    # The duration head itself is tested in test_engine_ltx2_faithful; here a stand-in picks 0.5 s of the 4 allowed.
    from studio.engine.backends.ltx2 import LTX2Backend

    monkeypatch.setattr(LTX2Backend, "auto_seconds", lambda self, request: 0.5)
    runner = make_runner(lib)
    take_id = runner.submit(Recipe("a red ball bounces", seconds=4.0, auto_seconds=True, seed=1, **TINY))
    runner.run_until_idle()
    assert probe(take_file(lib, take_id)).duration == pytest.approx(0.5, abs=0.05)
    recipe = lib.take(take_id).recipe
    assert recipe.seconds == pytest.approx(0.5) and recipe.auto_seconds  # not the 4 s bound it was asked with
