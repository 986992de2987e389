"""Takes, search, lineage and the durable job queue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.errors import LibraryError, RecipeError
from studio.library import Library, migrations
from studio.library.database import Database
from studio.library.records import TakeSort
from studio.library.takes import fts_query
from studio.recipe import Recipe


def test_new_take_is_queued_with_its_recipe(lib: Library) -> None:
    recipe = Recipe(prompt="a paper boat on a river", seed=7, model_id="tiny-random")
    take = lib.create_take(recipe)
    assert (take.status, take.origin, take.recipe) == ("queued", "generated", recipe)
    assert lib.take(take.id).recipe == recipe


def test_a_recipe_from_a_newer_kinora_lists_its_take_and_fails_only_when_read(lib: Library) -> None:
    take = lib.create_take(Recipe(prompt="from the future"))
    with lib.database.transaction() as conn:
        conn.execute("UPDATE takes SET recipe_json = ? WHERE id = ?",
                     (json.dumps({**Recipe(prompt="from the future").to_dict(), "schema": 99}), take.id))
    listed = lib.list_takes()
    assert [t.id for t in listed] == [take.id]  # the rest of the grid still lists
    with pytest.raises(RecipeError, match="newer Kinora"):
        _ = listed[0].recipe


def test_takes_list_newest_first_and_page_with_before_id(lib: Library) -> None:
    ids = [lib.create_take(Recipe(prompt=f"shot {i}")).id for i in range(5)]
    first_page = lib.list_takes(limit=2)
    assert [t.id for t in first_page] == [ids[4], ids[3]]
    assert [t.id for t in lib.list_takes(limit=2, before_id=first_page[-1].id)] == [ids[2], ids[1]]



def _page_through(lib: Library, sort: TakeSort, page: int = 2, **filters) -> list[int]:
    """Every take id in the order `sort`, read a page at a time through the keyset cursor."""
    seen: list[int] = []
    last = None
    while len(seen) <= 100:  # a cursor that does not move on would page forever: stop, and the order fails
        takes = lib.list_takes(limit=page, sort=sort, after=last, **filters)
        seen += [t.id for t in takes]
        if len(takes) < page:
            return seen
        last = takes[-1]
    return seen


def test_every_sort_pages_through_all_takes_in_its_order_without_repeats(lib: Library) -> None:
    specs = [("b fox", 3.0), ("A cat", 5.0), ("c dog", 5.0), ("a ant", 2.0), ("b fox", 3.0)]
    ids = [lib.create_take(Recipe(prompt=p, seconds=s)).id for p, s in specs]
    expected = {
        TakeSort.NEWEST: ids[::-1],
        TakeSort.OLDEST: ids,
        TakeSort.LONGEST: [ids[2], ids[1], ids[4], ids[0], ids[3]],  # equal lengths: newest first
        TakeSort.PROMPT: [ids[3], ids[1], ids[0], ids[4], ids[2]],  # A-Z ignoring case; equal prompts by id
    }
    for sort, order in expected.items():
        assert [t.id for t in lib.list_takes(sort=sort)] == order, sort
        for page in (1, 2, 3):  # with 1 and 3, equal keys straddle page boundaries
            assert _page_through(lib, sort, page) == order, (sort, page)
        assert [t.id for t in lib.list_takes(sort=sort.value, limit=2, before_id=order[1])] == order[2:4]
    assert _page_through(lib, TakeSort.LONGEST, model_id="nope") == []


def test_sort_combines_with_filters_and_unknown_sort_is_refused(lib: Library) -> None:
    short = lib.create_take(Recipe(prompt="short", seconds=1.0))
    long = lib.create_take(Recipe(prompt="long", seconds=9.0))
    lib.create_take(Recipe(prompt="longest but not a favourite", seconds=12.0))
    for take in (short, long):
        lib.set_favorite(take.id)
    assert _page_through(lib, TakeSort.LONGEST, page=1, favorites=True) == [long.id, short.id]
    assert lib.list_takes(sort="oldest", created_after=lib.take(long.id).created_at, limit=1)[0].id == long.id
    with pytest.raises(LibraryError, match="Unknown sort 'biggest'"):
        lib.list_takes(sort="biggest")


def test_take_length_is_its_files_once_done_and_search_sorts_by_it(lib: Library, corpus: Path) -> None:
    asked = lib.create_take(Recipe(prompt="clip of a fox", seconds=20.0))
    done = lib.create_take(Recipe(prompt="clip of a fox", seconds=20.0))
    assert lib.take(done.id).duration == 20.0  # not made yet: the length it asks for
    done = lib.complete_take(done.id, corpus / "video" / "sample.mp4", recipe=done.recipe, timings={})
    assert done.duration == pytest.approx(lib.media(done.media_id).duration)
    assert done.duration < 20.0
    assert [t.id for t in lib.search_takes("fox", sort=TakeSort.LONGEST)] == [asked.id, done.id]
    assert [t.id for t in lib.search_takes("fox", sort=TakeSort.OLDEST, limit=1)] == [asked.id]
    assert [t.id for t in lib.search_takes("fox")] == [done.id, asked.id]


def test_version_4_library_gains_take_lengths_and_indexes_for_every_sort(tmp_path: Path, corpus: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    database = Database(root / "library.db")
    try:
        migrations.migrate(database, root / "backups", migrations.MIGRATIONS[:4])
        with database.transaction() as conn:
            conn.execute("INSERT INTO media (sha256, relpath, kind, duration, created_at) "
                         "VALUES (?, ?, 'video', 7.5, 1.0)", ("e" * 64, f"media/ee/{'e' * 64}.mp4"))
            for prompt, media_id in (("Zebra at dusk", 1), ("antelope", None)):
                conn.execute("INSERT INTO takes (origin, prompt, recipe_json, status, media_id, created_at) "
                             "VALUES ('generated', ?, ?, 'done', ?, 1.0)",
                             (prompt, json.dumps(Recipe(prompt=prompt, seconds=3.0).to_dict()), media_id))
            conn.execute("INSERT INTO takes (origin, title, status, created_at) VALUES ('imported', 'x', 'done', 1.0)")
    finally:
        database.close()
    with Library.open(root) as lib:
        assert lib.database.user_version() == migrations.LATEST_VERSION >= 5
        assert [(t.id, t.duration) for t in lib.list_takes(sort=TakeSort.LONGEST)] == [(1, 7.5), (2, 3.0), (3, 0.0)]
        assert [t.id for t in lib.list_takes(sort=TakeSort.PROMPT)] == [3, 2, 1]
        for sql, index in (("SELECT * FROM takes ORDER BY duration DESC, id DESC", "takes_by_duration"),
                           ("SELECT * FROM takes WHERE favorite = 1 ORDER BY duration DESC, id DESC",
                            "takes_by_favorite_duration"),
                           ("SELECT * FROM takes WHERE model_id = 'x' ORDER BY prompt COLLATE NOCASE, id",
                            "takes_by_model_prompt")):
            plan = " ".join(str(tuple(r)) for r in lib.database.query(f"EXPLAIN QUERY PLAN {sql} LIMIT 5"))
            assert index in plan and "TEMP B-TREE" not in plan, plan  # a page reads one index range, no sort


def test_list_filters_by_status_favorite_and_model(lib: Library) -> None:
    a = lib.create_take(Recipe(prompt="a", model_id="ltx-2"))
    b = lib.create_take(Recipe(prompt="b", model_id="wan-2.2"))
    lib.update_take(b.id, status="failed", error="Out of GPU memory")
    lib.set_favorite(a.id, True)
    assert [t.id for t in lib.list_takes(status="failed")] == [b.id]
    assert lib.take(b.id).error == "Out of GPU memory" and lib.take(b.id).finished_at is not None
    assert [t.id for t in lib.list_takes(favorites=True)] == [a.id]
    assert [t.id for t in lib.list_takes(model_id="wan-2.2")] == [b.id]
    assert lib.count_takes(model_id="ltx-2") == 1 and lib.count_takes() == 2


def test_search_matches_every_word_and_follows_prompt_edits(lib: Library) -> None:
    fox = lib.create_take(Recipe(prompt="A red fox jumps over snow"))
    lib.create_take(Recipe(prompt="a red car in the rain"))
    assert [t.id for t in lib.search_takes("red fox")] == [fox.id]
    assert [t.id for t in lib.search_takes("jum")] == [fox.id]  # the last word is a prefix
    assert lib.search_takes('fox" OR "car') == []  # FTS syntax is not interpreted: OR is a word here
    lib.update_take(fox.id, recipe=Recipe(prompt="a grey wolf howling"))
    assert lib.search_takes("fox") == []
    assert [t.id for t in lib.search_takes("wolf")] == [fox.id]
    lib.delete_take(fox.id)
    assert lib.search_takes("wolf") == []


def test_fts_query_quotes_words() -> None:
    assert fts_query('sunset "beach') == '"sunset" "beach"*'
    assert fts_query("  !! ") is None


def test_lineage_walks_ancestors_and_descendants(lib: Library) -> None:
    root = lib.create_take(Recipe(prompt="origin"))
    child = lib.create_take(Recipe(prompt="extend it"), parent_take_id=root.id, remix_kind="extend")
    grandchild = lib.create_take(Recipe(prompt="restyle"), parent_take_id=child.id, remix_kind="video")
    sibling = lib.create_take(Recipe(prompt="new seed"), parent_take_id=root.id, remix_kind="seed")
    assert [t.id for t in lib.lineage(grandchild.id).ancestors] == [child.id, root.id]
    assert [t.id for t in lib.lineage(root.id).descendants] == [child.id, grandchild.id, sibling.id]
    lib.delete_take(child.id)
    assert lib.take(grandchild.id).parent_take_id is None


def test_remix_of_unknown_take_is_refused(lib: Library) -> None:
    with pytest.raises(LibraryError, match="no take 42"):
        lib.create_take(Recipe(prompt="x"), parent_take_id=42)


def test_complete_take_stores_media_and_finishes_the_job(lib: Library, corpus: Path) -> None:
    take = lib.create_take(Recipe(prompt="clip"))
    job = lib.enqueue_job(take.id)
    assert lib.claim_next_job().id == job.id
    assert lib.take(take.id).status == "running"
    final = Recipe(prompt="clip", seed=1234)
    done = lib.complete_take(take.id, corpus / "video" / "sample.mp4", recipe=final,
                             timings={"denoise": 1.5}, poster_file=corpus / "images" / "Landscape_6.jpg")
    assert (done.status, done.recipe.seed, done.timings) == ("done", 1234, {"denoise": 1.5})
    assert lib.media_path(lib.media(done.media_id)).is_file()
    assert lib.media(done.poster_media_id).kind == "image"
    assert lib.job(job.id).status == "done"
    assert lib.list_jobs() == []


def test_a_pause_that_comes_after_the_last_step_leaves_no_paused_job_on_a_done_take(lib: Library,
                                                                                 corpus: Path) -> None:
    # Seen running `kinora pause` as a user: the pause reached the jobs row while the clip was being written;
    # the take finished, its job stayed "paused", and `kinora resume` would have queued the done take again.
    take = lib.create_take(Recipe(prompt="clip"))
    job = lib.enqueue_job(take.id)
    assert lib.claim_next_job().id == job.id
    lib.set_job_status(job.id, "paused")  # `kinora pause` from another process, during writing
    lib.complete_take(take.id, corpus / "video" / "sample.mp4", recipe=Recipe(prompt="clip", seed=1), timings={})
    assert lib.job(job.id).status == "done"
    assert lib.list_jobs(active_only=True) == []


def test_imported_take_is_done_and_titled(lib: Library, corpus: Path) -> None:
    media = lib.import_media(corpus / "audio" / "bear.opus")
    take = lib.add_imported_take(media.id, title="bear")
    assert (take.status, take.origin, take.display_title, take.media_id) == ("done", "imported", "bear", media.id)
    assert lib.takes_for_media(media.id) == [take]
    assert [t.id for t in lib.search_takes("bear")] == [take.id]


def test_jobs_are_claimed_in_queue_order_and_can_be_reordered(lib: Library) -> None:
    jobs = [lib.enqueue_job(lib.create_take(Recipe(prompt=f"job {i}")).id) for i in range(3)]
    lib.move_job(jobs[2].id, 0)
    assert [j.id for j in lib.list_jobs()] == [jobs[2].id, jobs[0].id, jobs[1].id]
    assert lib.claim_next_job().id == jobs[2].id
    assert lib.claim_next_job().id == jobs[0].id
    lib.set_job_status(jobs[1].id, "canceled")
    assert lib.claim_next_job() is None
    assert [(j.id, j.status) for j in lib.list_jobs()] == [(jobs[2].id, "running"), (jobs[0].id, "running")]


def test_jobs_survive_a_crash_and_come_back_paused(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "lib")
    running = lib.create_take(Recipe(prompt="was running"))
    waiting = lib.create_take(Recipe(prompt="was waiting"))
    lib.enqueue_job(running.id)
    lib.enqueue_job(waiting.id)
    lib.claim_next_job()
    lib.close()  # as if the process died here: nothing marked the jobs finished
    with Library.open(tmp_path / "lib") as reopened:
        assert [j.status for j in reopened.list_jobs()] == ["paused", "paused"]
        assert reopened.take(running.id).status == "queued"


def test_a_second_process_opening_the_library_does_not_pause_the_first_ones_jobs(tmp_path: Path) -> None:
    owner = Library.open(tmp_path / "lib")
    job = owner.enqueue_job(owner.create_take(Recipe(prompt="busy")).id)
    owner.claim_next_job()
    try:
        with Library.open(tmp_path / "lib") as visitor:  # e.g. `kinora library list` beside the studio
            assert not visitor.is_owner
            assert visitor.job(job.id).status == "running"
    finally:
        owner.close()


def test_running_take_cannot_be_deleted(lib: Library) -> None:
    take = lib.create_take(Recipe(prompt="busy"))
    lib.enqueue_job(take.id)
    lib.claim_next_job()
    with pytest.raises(LibraryError, match="cancel it"):
        lib.delete_take(take.id)
