"""Shared fixtures. Every test gets its own library and config folder; nothing touches the user's."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from studio.library import Library

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the library and config folders at temporary ones, and keep Hugging Face offline."""
    base = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("KINORA_LIBRARY", str(base / "library"))
    monkeypatch.setenv("KINORA_CONFIG", str(base / "config"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(base / "hf"))


@pytest.fixture
def corpus() -> Path:
    """The shared folder of real files written by other tools (never copied into the repo)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside this checkout")
    return CORPUS


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[Library]:
    """A new library in tmp_path / "library", closed after the test."""
    from studio.library import Library

    library = Library.open(tmp_path / "library")
    yield library
    tasks = sys.modules.get("studio.ui.tasks")
    if tasks is not None:  # UI tests: thumbnails and waveforms built on worker threads may still read it
        tasks.wait_for_tasks(30_000)
    library.close()


# Two studios, each with its own library and identity (tests/feed_helpers.py): the feed tests' people.
@pytest.fixture
def alice(tmp_path: Path) -> Iterator[Any]:
    from feed_helpers import open_studio

    studio = open_studio(tmp_path, "alice")
    yield studio
    studio.lib.close()


@pytest.fixture
def bob(tmp_path: Path) -> Iterator[Any]:
    from feed_helpers import open_studio

    studio = open_studio(tmp_path, "bob")
    yield studio
    studio.lib.close()
