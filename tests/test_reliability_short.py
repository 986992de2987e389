"""The reliability harness of issue 16, short: a few SIGKILLs, a few dozen mutants, the whole hostile-project
set and the tamper matrix, with the same code and fixed seed as `bench/reliability/run.py` (the long run)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.reliability.fuzz import fuzz, seed_files
from bench.reliability.hostile import run_hostile
from bench.reliability.isolate import CRASH, HANG, TRACEBACK, UNCLEAR, preload
from bench.reliability.kills import run_kills

SEED = 16


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    from tests.conftest import CORPUS

    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside this checkout")
    preload()
    return seed_files(CORPUS, tmp_path_factory.mktemp("seeds"))


def test_mutants_of_real_files_end_in_a_clear_error_or_an_import(seeds: list[Path], tmp_path: Path) -> None:
    counts, findings = fuzz(seeds, tmp_path, count=30, seed=SEED, deadline=time.monotonic() + 25)
    assert counts["mutants"] >= 10
    assert sum(counts[k] for k in (TRACEBACK, UNCLEAR, CRASH, HANG)) == 0, findings


def test_every_hostile_project_is_refused_clearly_and_leaves_nothing(tmp_path: Path) -> None:
    preload()
    counts, findings = run_hostile(tmp_path, tmp_path / "library")
    assert counts["cases"] >= 25 and findings == []


def test_sigkill_at_random_moments_loses_nothing_and_leaves_nothing(seeds: list[Path], tmp_path: Path) -> None:
    from tests.conftest import CORPUS

    bundle = next(f for f in seeds if f.suffix == ".otioz")
    counts, findings = run_kills(tmp_path, CORPUS, bundle, trials=4, seed=SEED, deadline=time.monotonic() + 30)
    assert counts["trials"] >= 2
    assert findings == [], findings
