"""Published configurations of the models Kinora offers, as data (no weights).

Each folder mirrors a Hugging Face repository's diffusers layout (`model_index.json`, `<component>/config.json`,
`scheduler/scheduler_config.json`) so the memory planner can build every component on the meta device
before anything is downloaded. How the files were made: scripts/make_model_configs.py.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def config_folder(repo_folder: str) -> Path:
    """The shipped folder for a repo (e.g. "LTX-2"); FileNotFoundError naming it when it is not shipped."""
    folder = ROOT / repo_folder
    if not (folder / "model_index.json").is_file():
        raise FileNotFoundError(f"No published configuration shipped for {repo_folder} in {ROOT}")
    return folder
