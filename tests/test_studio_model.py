"""The Studio app model without Qt: projects opened, switched, renamed, deleted and copied; submit with the
cameo check and the autosave snapshot; the queue's calls; the selection; and what listeners hear."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from studio.engine.runner import Runner
from studio.errors import ConsentError, EngineError
from studio.library import Library
from studio.recipe import Recipe
from studio.studio_model import UNTITLED_PROJECT, Change, JobAction, Studio


def tiny(prompt: str, **fields: object) -> Recipe:
    return Recipe(prompt=prompt, model_id="tiny-random", seconds=1, fps=8, width=32, height=32, **fields)


class FakeEngine:
    """Records what the Studio asks of its engine (the real one is covered by the runner's tests)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.stopped = 0

    def submit(self, recipe: Recipe, *, parent_take_id: int | None = None, remix_kind: str | None = None,
               origin: str = "") -> int:
        self.calls.append(("submit", recipe))
        return 99

    def cancel(self, take_id: int) -> None:
        self.calls.append(("cancel", take_id))

    def pause(self, take_id: int) -> None:
        self.calls.append(("pause", take_id))

    def resume(self, take_id: int) -> None:
        self.calls.append(("resume", take_id))

    def start(self) -> None:
        self.calls.append(("start", None))

    def stop(self, timeout: float = 30.0) -> None:
        self.stopped += 1


def heard(studio: Studio) -> list[Change]:
    changes: list[Change] = []
    studio.subscribe(changes.append)
    return changes


def test_the_first_start_makes_an_untitled_project_and_announces_it(lib: Library) -> None:
    studio = Studio(lib)
    changes = heard(studio)
    opened = studio.open_start_project()
    assert studio.project_id is None and changes == []  # the work changes nothing until it is adopted
    studio.adopt(opened)
    assert (studio.project_name, studio.project_id) == (UNTITLED_PROJECT, opened.project.id)
    assert changes == [Change.PROJECT, Change.RECENT]
    assert [p.id for p in studio.recent] == [opened.project.id]
    assert opened.timeline is not None and opened.error is None and opened.save_previous


def test_open_the_project_asked_for_on_start(lib: Library) -> None:
    wanted = lib.create_project("Wanted")
    lib.create_project("Newer")
    studio = Studio(lib, start_project=wanted.id)
    studio.adopt(studio.open_start_project())
    assert (studio.project_id, studio.project_name) == (wanted.id, "Wanted")


def test_create_switch_and_name_new_projects(lib: Library) -> None:
    studio = Studio(lib)
    studio.adopt(studio.open_start_project())
    first = studio.project_id
    assert studio.new_project_name() == "Untitled 2"  # "Untitled" is taken
    studio.adopt(studio.create_project("Second"))
    second = studio.project_id
    assert second != first and studio.project_name == "Second"
    assert {p.id for p in studio.recent} == {first, second}
    changes = heard(studio)
    studio.adopt(studio.load_project(first))
    assert studio.project_id == first and studio.project_name == UNTITLED_PROJECT
    assert changes == [Change.PROJECT, Change.RECENT]


def test_rename_renames_the_open_project_and_only_it(lib: Library) -> None:
    studio = Studio(lib)
    studio.adopt(studio.create_project("Night shoot"))
    other = lib.create_project("Other")
    changes = heard(studio)
    studio.set_recent(studio.rename_project(other.id, "Day shoot"))
    assert studio.project_name == "Night shoot" and changes == [Change.RECENT]
    studio.set_recent(studio.rename_project(studio.project_id, "Night cut"))
    assert studio.project_name == "Night cut" and changes[1:] == [Change.NAME, Change.RECENT]
    assert lib.project(studio.project_id).name == "Night cut"


def test_delete_opens_the_last_changed_other_project_then_a_new_one(lib: Library) -> None:
    studio = Studio(lib)
    keep = lib.create_project("Keep")
    studio.adopt(studio.create_project("Gone"))
    gone = studio.project_id
    studio.adopt(studio.delete_project(gone))
    assert studio.project_id == keep.id and gone not in {p.id for p in lib.list_projects()}
    studio.adopt(studio.delete_project(keep.id))
    assert studio.project_name == UNTITLED_PROJECT and [p.id for p in lib.list_projects()] == [studio.project_id]


def test_save_as_makes_a_copy_that_opens_and_leaves_the_old_project_as_saved(lib: Library) -> None:
    studio = Studio(lib)
    studio.adopt(studio.create_project("Original"))
    original = studio.project_id
    edit = lib.load_timeline(original)
    edit.tracks[0].name = "Picture"  # an unsaved change on screen
    opened = studio.save_as("Director's cut", edit.deepcopy())
    assert not opened.save_previous  # the window must not write the edit into the old project
    studio.adopt(opened)
    assert studio.project_name == "Director's cut" and studio.project_id != original
    assert lib.load_timeline(studio.project_id).tracks[0].name == "Picture"
    assert lib.load_timeline(studio.project_id).name == "Director's cut"
    assert lib.load_timeline(original).tracks[0].name != "Picture"


def test_a_broken_stored_project_still_opens_with_its_error(lib: Library) -> None:
    project = lib.create_project("Broken")
    with lib.database.transaction() as conn:
        conn.execute("UPDATE projects SET timeline_json = '{not json' WHERE id = ?", (project.id,))
    opened = Studio(lib).load_project(project.id)
    assert opened.timeline is None and opened.error is not None and opened.project.id == project.id


def test_submit_is_refused_by_consent_before_anything_is_queued(lib: Library) -> None:
    engine = FakeEngine()
    studio = Studio(lib, engine)
    with pytest.raises(ConsentError, match="No grant for @alice"):
        studio.submit(tiny("@alice waves at the sea"))
    assert engine.calls == [] and lib.count_takes() == 0


def test_submit_without_an_engine_says_so(lib: Library) -> None:
    with pytest.raises(EngineError, match="engine is not running"):
        Studio(lib).submit(tiny("a red ball"))


def test_an_engine_the_window_starts_late_is_started_by_a_submit_made_first_and_only_once(lib: Library) -> None:
    # The window starts its engine on a worker after the first frame; a Generate pressed at once (as the queue's
    # tests do) met "The engine is not running" before the process was spawned.
    engine = FakeEngine()
    studio = Studio(lib, engine)
    studio.engine_starting()
    studio.submit(tiny("a red ball"))
    studio.start_engine()  # the window's own start, arriving after
    assert [call for call, _ in engine.calls] == ["start", "submit"]


def test_an_engine_nobody_asked_to_start_is_not_started_by_a_submit(lib: Library) -> None:
    engine = FakeEngine()  # e.g. a runner a test keeps stopped so that jobs wait
    Studio(lib, engine).submit(tiny("a red ball"))
    assert [call for call, _ in engine.calls] == ["submit"]


def test_submit_snapshots_the_edit_and_queues_the_recipe_with_its_image_in_the_library(
        lib: Library, corpus: Path, tmp_path: Path) -> None:
    engine = FakeEngine()
    studio = Studio(lib, engine)
    studio.adopt(studio.open_start_project())
    image = tmp_path / "start.jpg"
    shutil.copy(corpus / "images" / "Landscape_6.jpg", image)
    edit = lib.load_timeline(studio.project_id)
    edit.tracks[0].name = "Unsaved"
    submitted = studio.submit(tiny("the hills at dusk", mode="image", image=str(image)), timeline=edit)
    assert submitted.take_id == 99 and submitted.notes == ()
    (call, recipe), = engine.calls
    assert call == "submit" and Path(recipe.image).resolve().is_relative_to(lib.root.resolve())
    snapshot = lib.list_snapshots(studio.project_id)[0]
    assert snapshot.kind == "autosave" and lib.load_snapshot(snapshot.id).tracks[0].name == "Unsaved"


def test_the_queue_left_by_a_session_and_its_order(lib: Library) -> None:
    runner = Runner(lib)  # never started: the jobs wait
    first, second = runner.submit(tiny("first")), runner.submit(tiny("second"))
    studio = Studio(lib, runner)
    jobs = studio.active_jobs()
    assert [(j.job.take_id, j.title) for j in jobs] == [(first, "first"), (second, "second")]
    studio.reorder_jobs([jobs[1].job.id, jobs[0].job.id])
    assert [j.job.take_id for j in studio.active_jobs()] == [second, first]
    studio.control(JobAction.CANCEL, first)
    assert [j.job.take_id for j in studio.active_jobs()] == [second]


def test_job_calls_reach_the_engine_and_engine_changes_are_announced(lib: Library) -> None:
    studio = Studio(lib)
    changes = heard(studio)
    studio.control(JobAction.PAUSE, 1)  # no engine: nothing to ask, nothing fails
    engine = FakeEngine()
    studio.engine = engine
    for action in JobAction:
        studio.control(action, 7)
    assert engine.calls == [("cancel", 7), ("pause", 7), ("resume", 7)]
    studio.stop_engine()
    studio.stop_engine()  # twice: the window's close and the app's shutdown both call it
    assert engine.stopped == 1 and studio.engine is None
    assert changes == [Change.ENGINE, Change.ENGINE]


def test_selection_changes_are_announced_once_and_unsubscribing_stops_them(lib: Library) -> None:
    studio = Studio(lib)
    changes: list[Change] = []
    unsubscribe = studio.subscribe(changes.append)
    studio.select_take(3)
    studio.select_take(3)  # the same selection again: no news
    studio.select_clip("clip facts")
    assert changes == [Change.SELECTION, Change.SELECTION]
    assert (studio.selection.take_id, studio.selection.clip) == (3, "clip facts")
    unsubscribe()
    studio.select_take(None)
    assert len(changes) == 2 and studio.selection.take_id is None


def test_a_drop_is_planned_by_name(lib: Library, tmp_path: Path) -> None:
    plan = Studio.plan_import([tmp_path / "cut.otio", tmp_path / "clip.MP4", tmp_path / "notes.txt"])
    assert (plan.projects, plan.media, plan.refused) == ([tmp_path / "cut.otio"], [tmp_path / "clip.MP4"],
                                                        [tmp_path / "notes.txt"])
    assert "notes.txt" in plan.refusal()


def test_import_media_and_open_a_project_file(lib: Library, corpus: Path) -> None:
    studio = Studio(lib)
    imported = studio.import_media(corpus / "audio" / "bear.opus")
    assert imported.take.title == "bear" and not imported.already_there
    assert studio.import_media(corpus / "audio" / "bear.opus").already_there
    opened = studio.open_project_file(corpus / "otio" / "premiere_example.edl")
    assert opened.timeline is not None and list(opened.timeline.find_clips())
    assert opened.project.id in {p.id for p in opened.recent}
