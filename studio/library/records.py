"""The library's records: plain dataclasses built from database rows, safe to hand to any layer."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from studio.recipe import Recipe

# The vocabularies of the library's rows. A StrEnum member equals its value, so rows written before
# these types existed and JSON read by other tools keep working (tests/test_vocabularies.py).


class TakeStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELED = "canceled"


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    FAILED = "failed"
    CANCELED = "canceled"


class TakeOrigin(StrEnum):
    """Where a take came from: made by a model here, or a file brought in."""

    GENERATED = "generated"
    IMPORTED = "imported"


class MediaKind(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    IMAGE = "image"


class SnapshotKind(StrEnum):
    AUTOSAVE = "autosave"
    MANUAL = "manual"


TAKE_STATUSES: tuple[TakeStatus, ...] = tuple(TakeStatus)
JOB_STATUSES: tuple[JobStatus, ...] = tuple(JobStatus)
ACTIVE_JOB_STATUSES: tuple[JobStatus, ...] = (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.PAUSED)
MEDIA_KINDS: tuple[MediaKind, ...] = tuple(MediaKind)
SNAPSHOT_KINDS: tuple[SnapshotKind, ...] = tuple(SnapshotKind)


class TakeSort(str, Enum):
    """Orders the library lists takes in (`list_takes`, `search_takes`); values are the CLI's words."""

    NEWEST = "newest"
    OLDEST = "oldest"
    LONGEST = "longest"  # by `TakeRecord.duration`; equal lengths newest first
    PROMPT = "prompt"  # A-Z, ignoring ASCII case; takes without a prompt (imported files) come first


# What a record is built from: a sqlite3.Row or a plain dict (Database.query_dicts).
Row = Mapping[str, Any] | sqlite3.Row


def _plain(record: Any) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


class _RecipeJson(str):
    """A take's recipe as stored (JSON text), not parsed yet."""

    __slots__ = ()


class _LazyRecipe:
    """The `recipe` field of TakeRecord: a Recipe (or None), or stored JSON parsed on first read.

    Listing a page of the grid builds hundreds of records whose recipes are mostly never read;
    parsing and validating each one cost more than the query itself.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}_value"

    def __get__(self, record: Any, owner: type | None = None) -> Recipe | None:
        if record is None:
            raise AttributeError("recipe")  # tells dataclasses the field has no default
        value = record.__dict__[self._slot]
        if isinstance(value, _RecipeJson):
            # Two threads may both parse it; they store equal recipes.
            value = Recipe.from_dict(json.loads(value))
            record.__dict__[self._slot] = value
        return value

    def __set__(self, record: Any, value: Recipe | _RecipeJson | None) -> None:
        record.__dict__[self._slot] = value


@dataclass(frozen=True)
class MediaRecord:
    """A file in the content-addressed media store (`relpath` is relative to the library folder)."""

    id: int
    sha256: str
    relpath: str
    kind: MediaKind
    duration: float | None
    fps: float | None
    width: int | None
    height: int | None
    sample_rate: int | None  # None: no sound
    codec: str | None  # video codec, or the audio codec for audio-only media
    missing: bool
    created_at: float
    provenance_json: str | None  # C2PA manifest store JSON, when the file carried one
    original_name: str | None = None  # the file name it was imported from
    audio_codec: str | None = None

    @property
    def has_audio(self) -> bool:
        return self.kind == "audio" or bool(self.sample_rate)

    @classmethod
    def from_row(cls, row: Row) -> MediaRecord:
        return cls(id=row["id"], sha256=row["sha256"], relpath=row["relpath"], kind=MediaKind(row["kind"]),
                   duration=row["duration"], fps=row["fps"], width=row["width"], height=row["height"],
                   sample_rate=row["sample_rate"], codec=row["codec"], missing=bool(row["missing"]),
                   created_at=row["created_at"], provenance_json=row["provenance_json"],
                   original_name=row["original_name"], audio_codec=row["audio_codec"])

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class TakeRecord:
    """One item of the library grid: a generated clip (any status) or an imported file."""

    id: int
    origin: TakeOrigin
    title: str
    recipe: Recipe | None = _LazyRecipe()  # type: ignore[assignment]  # parsed when first read
    status: TakeStatus
    error: str | None
    media_id: int | None
    poster_media_id: int | None
    parent_take_id: int | None
    remix_kind: str | None  # a RemixKind value (studio.recipe); kept open for kinds a newer Kinora wrote
    favorite: bool
    created_at: float
    started_at: float | None
    finished_at: float | None
    timings: dict[str, float] = field(default_factory=dict)
    project_id: int | None = None
    duration: float = 0.0  # seconds: the file's length, else the length its recipe asks for, else 0

    @property
    def display_title(self) -> str:
        """The title, else the prompt, else 'Take N'."""
        return self.title or (self.recipe.prompt if self.recipe else "") or f"Take {self.id}"

    @classmethod
    def from_row(cls, row: Row) -> TakeRecord:
        recipe_json = row["recipe_json"]
        timings_json = row["timings_json"]
        return cls(id=row["id"], origin=TakeOrigin(row["origin"]), title=row["title"],
                   recipe=_RecipeJson(recipe_json) if recipe_json else None,
                   status=TakeStatus(row["status"]), error=row["error"], media_id=row["media_id"],
                   poster_media_id=row["poster_media_id"], parent_take_id=row["parent_take_id"],
                   remix_kind=row["remix_kind"], favorite=bool(row["favorite"]), created_at=row["created_at"],
                   started_at=row["started_at"], finished_at=row["finished_at"],
                   timings=json.loads(timings_json) if timings_json and timings_json != "{}" else {},
                   project_id=row["project_id"], duration=row["duration"])

    def to_dict(self) -> dict[str, Any]:
        data = _plain(self)
        data["recipe"] = self.recipe.to_dict() if self.recipe else None
        return data


@dataclass(frozen=True)
class Lineage:
    """A take's ancestors (parent first, then its parent, ...) and all its descendants (oldest first)."""

    ancestors: list[TakeRecord]
    descendants: list[TakeRecord]


@dataclass(frozen=True)
class JobRecord:
    """An entry of the durable generation queue."""

    id: int
    take_id: int
    status: JobStatus
    position: int
    created_at: float
    origin: str = ""  # who queued it: "api" for `kinora serve`, "" for the studio and the CLI
    # Where the running job is, as its engine last wrote it (any process's engine; `set_job_progress`).
    phase: str = ""
    step: int = 0
    total: int = 0
    progress: float = 0.0  # 0..1, EngineEvent.fraction
    # A paused job's resume point: the take's steps already done that Resume continues after (None: Resume restarts
    # it), and the sentence saying what Resume will do (the engine writes it when the job pauses).
    resume_step: int | None = None
    resume_note: str = ""

    @classmethod
    def from_row(cls, row: Row) -> JobRecord:
        return cls(id=row["id"], take_id=row["take_id"], status=JobStatus(row["status"]), position=row["position"],
                   created_at=row["created_at"], origin=row["origin"], phase=row["phase"], step=row["step"],
                   total=row["total"], progress=row["progress"], resume_step=row["resume_step"],
                   resume_note=row["resume_note"])

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class ProjectRecord:
    """A project; its timeline is loaded separately (`Library.load_timeline`)."""

    id: int
    name: str
    created_at: float
    updated_at: float
    saved_at: float | None = None

    @classmethod
    def from_row(cls, row: Row) -> ProjectRecord:
        return cls(id=row["id"], name=row["name"], created_at=row["created_at"], updated_at=row["updated_at"],
                   saved_at=row["saved_at"])

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class SnapshotRecord:
    """A saved version of a project's timeline: an autosave or a manual snapshot."""

    id: int
    project_id: int
    kind: SnapshotKind
    created_at: float

    @classmethod
    def from_row(cls, row: Row) -> SnapshotRecord:
        return cls(id=row["id"], project_id=row["project_id"], kind=SnapshotKind(row["kind"]), created_at=row["created_at"])

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)
