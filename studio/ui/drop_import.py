"""What a drop (or File > Import) brings in: project files open, media files import, the rest is refused.

`plan_drop` is cheap and runs on the GUI thread; media files then go through the one import service
(studio/importing.py) on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from studio.project.files import PROJECT_SUFFIXES  # one list: what the CLI opens, the window opens

MEDIA_SUFFIXES = frozenset({
    ".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi",  # video
    ".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus",  # audio
    ".png", ".jpg", ".jpeg", ".webp", ".bmp",  # stills
})


@dataclass
class DropPlan:
    projects: list[Path] = field(default_factory=list)
    media: list[Path] = field(default_factory=list)
    refused: list[Path] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.projects and not self.media

    def refusal(self) -> str:
        """A message naming what was refused and what is accepted."""
        names = ", ".join(p.name for p in self.refused[:3]) + ("…" if len(self.refused) > 3 else "")
        return (f"Kinora cannot open {names}: drop a project (.otio, .otioz) or a video, audio or image file "
                f"({', '.join(sorted(s.lstrip('.') for s in MEDIA_SUFFIXES))}).")


def plan_drop(paths: list[Path]) -> DropPlan:
    """Sort dropped paths by what Kinora does with them (by extension; content is checked on import)."""
    plan = DropPlan()
    for path in paths:
        suffix = path.suffix.lower()
        if suffix in PROJECT_SUFFIXES:
            plan.projects.append(path)
        elif suffix in MEDIA_SUFFIXES and not path.is_dir():
            plan.media.append(path)
        else:
            plan.refused.append(path)
    return plan
