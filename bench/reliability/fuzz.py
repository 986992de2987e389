"""The mutation fuzzer: real files from ../shared/corpus and files Kinora writes, mutated (see mutate.py),
each through `kinora import` (media and projects) and `kinora open` (projects), counting outcomes."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st

from bench.reliability.isolate import ACCEPTED, CLEAR, run_cli
from bench.reliability.mutate import apply, mutants

PROJECT_SUFFIXES = (".otio", ".otioz", ".edl")


def seed_files(corpus: Path, folder: Path) -> list[Path]:
    """What gets mutated: the corpus's media and projects, plus an MP4, a WAV and a .otioz Kinora wrote."""
    from studio.library import Library
    from studio.media.encode import write_clip
    from studio.project.files import save_otioz
    from studio.project.timeline import clips_for_take, new_timeline

    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in
                   (".mp4", ".webm", ".wav", ".opus", ".mp3", ".jpg", ".otio", ".edl"))
    ours = write_clip(np.full((8, 32, 32, 3), 90, np.uint8), np.zeros((16000, 2), np.float32), 24, 48000,
                      folder / "kinora.mp4")
    with Library.open(folder / "seed-library") as lib:
        media = lib.import_media(ours)
        take = lib.add_imported_take(media.id, title="seed")
        timeline = new_timeline("Seed")
        video, audio = clips_for_take(take, media, lib.media_path(media))
        timeline.tracks[0].append(video)
        timeline.tracks[1].append(audio)
        bundle = save_otioz(timeline, folder / "kinora.otioz", lib.resolve_clip_media)
    return [*files, ours, bundle]


def commands_for(path: Path) -> list[list[str]]:
    if path.suffix.lower() in PROJECT_SUFFIXES:
        return [["import", str(path)], ["open", str(path)]]
    return [["import", str(path)]]


def fuzz(files: list[Path], workdir: Path, count: int, seed: int, deadline: float | None = None,
         timeout: float = 30.0) -> tuple[Counter[str], list[str]]:
    """Run `count` mutants (fewer if `deadline`, a time.monotonic() value, passes). Returns outcome counts
    and one line per mutant that ended other than accepted or clear (the findings)."""
    counts: Counter[str] = Counter()
    findings: list[str] = []
    library = workdir / "library"
    workdir.mkdir(parents=True, exist_ok=True)
    made = [0]

    @fixed_seed(seed)
    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def one(data: st.DataObject) -> None:
        if deadline is not None and time.monotonic() > deadline:
            return
        mutant = data.draw(mutants(files))
        made[0] += 1
        path = workdir / f"mutant-{made[0]:05d}{mutant.source.suffix}"
        path.write_bytes(apply(mutant, files))
        for argv in commands_for(path):
            outcome = run_cli(argv, library, timeout)
            counts[outcome.kind] += 1
            if outcome.kind not in (ACCEPTED, CLEAR):
                last = (outcome.stderr.strip().splitlines() or [""])[-1][:160]
                findings.append(f"{outcome.kind}: kinora {argv[0]} {mutant.describe()} -> {last}")
        path.unlink(missing_ok=True)

    one()
    counts["mutants"] = made[0]
    return counts, findings
