"""The library database: migrations, backups, concurrency, the media store and reconciling files."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from studio.errors import LibraryError, MediaError
from studio.library import Library, migrations
from studio.library.database import Database
from studio.library.media_store import MediaStore
from studio.recipe import Recipe


def test_open_empty_folder_creates_latest_schema_with_wal(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib") as lib:
        assert lib.database.user_version() == migrations.LATEST_VERSION
        assert lib.last_backup is None  # nothing to back up in a new library
        tables = {r[0] for r in lib.database.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"projects", "project_snapshots", "media", "takes", "jobs", "takes_fts"} <= tables
        assert lib.database.query_one("PRAGMA journal_mode")[0] == "wal"
        assert lib.database.query_one("PRAGMA foreign_keys")[0] == 1
        assert (lib.root / "media").is_dir() and lib.cache_dir.is_dir()


def test_open_without_folder_uses_kinora_library_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KINORA_LIBRARY", str(tmp_path / "from-env"))
    with Library.open() as lib:
        assert lib.root == tmp_path / "from-env"
    assert (tmp_path / "from-env" / "library.db").is_file()


def _build_version_1(path: Path) -> None:
    """A library as the first schema version left it, with a take in it."""
    database = Database(path)
    try:
        migrations.migrate(database, path.parent / "backups", migrations.MIGRATIONS[:1])
        with database.transaction() as conn:
            conn.execute("INSERT INTO takes (origin, title, prompt, model_id, recipe_json, status, created_at) "
                         "VALUES ('generated', '', 'a lighthouse in a storm', 'ltx-2', ?, 'done', 1.0)",
                         (json.dumps(Recipe(prompt="a lighthouse in a storm").to_dict()),))
    finally:
        database.close()


def test_older_schema_is_backed_up_then_upgraded_keeping_its_data(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    _build_version_1(root / "library.db")
    with Library.open(root) as lib:
        assert lib.database.user_version() == migrations.LATEST_VERSION
        assert lib.last_backup is not None and lib.last_backup.parent == root / "backups"
        takes = lib.list_takes()
        assert [t.recipe.prompt for t in takes] == ["a lighthouse in a storm"]
        # The search index of version 2 covers rows written under version 1.
        assert [t.id for t in lib.search_takes("lighthouse")] == [takes[0].id]
    backup = sqlite3.connect(lib.last_backup)
    try:
        assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
        assert backup.execute("SELECT prompt FROM takes").fetchall() == [("a lighthouse in a storm",)]
    finally:
        backup.close()


def test_library_from_a_newer_kinora_is_refused_untouched(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib"):
        pass
    conn = sqlite3.connect(tmp_path / "lib" / "library.db")
    conn.execute(f"PRAGMA user_version = {migrations.LATEST_VERSION + 5}")
    conn.close()
    with pytest.raises(LibraryError, match="newer Kinora"):
        Library.open(tmp_path / "lib")


def test_foreign_sqlite_file_is_not_taken_for_a_library(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    conn = sqlite3.connect(tmp_path / "lib" / "library.db")
    conn.execute("CREATE TABLE something_else (x)")
    conn.close()
    with pytest.raises(LibraryError, match="not a Kinora library"):
        Library.open(tmp_path / "lib")


def test_two_threads_writing_at_once_both_succeed(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "lib")
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def write(tag: str) -> None:
        try:
            start.wait()
            for i in range(40):
                take = lib.create_take(Recipe(prompt=f"{tag} take {i}"))
                lib.update_take(take.id, status="running")
                lib.enqueue_job(take.id)
        except BaseException as exc:  # collected and asserted on the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(tag,)) for tag in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert lib.count_takes() == 80
        assert lib.count_takes(status="running") == 80
        assert len({j.position for j in lib.list_jobs()}) == 80  # positions never collide
    finally:
        lib.close()


def test_several_openers_of_a_fresh_library_migrate_it_once(tmp_path: Path) -> None:
    # Two processes (here: threads with their own connections) opening a new library at the same
    # moment used to both run migration 1, and the loser failed on "table already exists".
    folder = tmp_path / "lib"
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    opened: list[Library] = []

    def open_it() -> None:
        start.wait()
        try:
            opened.append(Library.open(folder))
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert opened[0].database.user_version() == migrations.LATEST_VERSION
    finally:
        for lib in opened:
            lib.close()


def test_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib") as lib:
        with pytest.raises(RuntimeError):
            with lib.database.transaction():
                lib.create_take(Recipe(prompt="half written"))
                raise RuntimeError("crash in the middle")
        assert lib.count_takes() == 0


def test_same_bytes_imported_twice_are_stored_once(tmp_path: Path, corpus: Path) -> None:
    copy = tmp_path / "renamed.mp4"
    shutil.copyfile(corpus / "video" / "sample.mp4", copy)
    with Library.open(tmp_path / "lib") as lib:
        first = lib.import_media(corpus / "video" / "sample.mp4")
        second = lib.import_media(copy)
        assert first.id == second.id
        stored = lib.media_path(first)
        assert stored.relative_to(lib.root).parts[:2] == ("media", first.sha256[:2])
        assert stored.name == f"{first.sha256}.mp4"
        assert [p for p in (lib.root / "media").rglob("*") if p.is_file()] == [stored]
        assert (first.kind, first.width, first.height, first.sample_rate) == ("video", 1080, 720, 44100)


def test_audio_and_image_files_get_their_kind(tmp_path: Path, corpus: Path) -> None:
    with Library.open(tmp_path / "lib") as lib:
        audio = lib.import_media(corpus / "audio" / "bbb_2ch_44kHz.wav")
        image = lib.import_media(corpus / "images" / "Landscape_6.jpg")
    assert (audio.kind, audio.width, audio.sample_rate) == ("audio", None, 44100)
    assert audio.duration == pytest.approx(1.0, abs=0.05)
    # EXIF orientation 6: stored 1200x1800, displayed 1800x1200.
    assert (image.kind, image.width, image.height) == ("image", 1800, 1200)


def test_unreadable_file_is_refused_and_not_stored(tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with Library.open(tmp_path / "lib") as lib:
        with pytest.raises(MediaError, match="notes.mp4"):
            lib.import_media(junk)
        assert list((lib.root / "media").rglob("*.mp4")) == []


def test_truncated_mp4_is_refused_or_recorded_with_its_probed_length(tmp_path: Path, corpus: Path) -> None:
    """The corpus file's mdat runs past the end: a clear refusal or a playable record, never a crash."""
    with Library.open(tmp_path / "lib") as lib:
        try:
            media = lib.import_media(corpus / "video" / "sample_mdat_too_long.mp4")
        except MediaError as exc:
            assert "sample_mdat_too_long.mp4" in str(exc)
        else:
            assert media.kind == "video" and media.duration and media.duration > 0
            assert lib.media_path(media).is_file()


def test_reopen_marks_deleted_media_missing_and_lists_strays(tmp_path: Path, corpus: Path) -> None:
    with Library.open(tmp_path / "lib") as lib:
        media = lib.import_media(corpus / "video" / "sample.mp4")
        take = lib.add_imported_take(media.id, title="sample")
        path = lib.media_path(media)
    path.unlink()
    stray = tmp_path / "lib" / "media" / "zz" / "leftover.mp4"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"x")
    with Library.open(tmp_path / "lib") as lib:
        assert lib.media(media.id).missing
        assert lib.take(take.id).media_id == media.id  # the take survives, pointing at missing media
        assert lib.stray_media_files() == [stray]
        # Importing the same bytes again brings the file back.
        again = lib.import_media(corpus / "video" / "sample.mp4")
        assert again.id == media.id and not again.missing and path.is_file()


def test_manual_backup_is_a_readable_copy(tmp_path: Path) -> None:
    with Library.open(tmp_path / "lib") as lib:
        lib.create_take(Recipe(prompt="kept in the backup"))
        copy = lib.backup()
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("SELECT prompt FROM takes").fetchall() == [("kept in the backup",)]
    finally:
        conn.close()


def test_closed_library_refuses_further_use(tmp_path: Path) -> None:
    lib = Library.open(tmp_path / "lib")
    lib.close()
    with pytest.raises(LibraryError, match="closed"):
        lib.list_takes()



def _add_media_rows(lib: Library, relpaths: list[str]) -> dict[str, int]:
    """Media rows with (empty) files at `relpaths`, as the store would lay them out; relpath -> id."""
    ids = {}
    with lib.database.transaction() as conn:
        for rel in relpaths:
            sha = Path(rel).stem
            ids[rel] = conn.execute("INSERT INTO media (sha256, relpath, kind, created_at) VALUES (?, ?, 'video', 1.0)",
                                    (sha, rel)).lastrowid
            (lib.root / rel).parent.mkdir(exist_ok=True)
            (lib.root / rel).touch()
    return ids


def _age_folders(root: Path) -> None:
    """Set the media folders' times an hour back, as if the files had been written long ago."""
    past = time.time() - 3600
    for folder in [root / "media", *(p for p in (root / "media").iterdir() if p.is_dir())]:
        os.utime(folder, (past, past))


def test_reopen_lists_only_the_media_folders_changed_since_the_last_open(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "lib"
    with Library.open(root) as lib:
        ids = _add_media_rows(lib, [f"media/aa/aa{'1' * 62}.mp4", f"media/bb/bb{'2' * 62}.mp4"])
    _age_folders(root)
    Library.open(root).close()  # the media folder changed: a full reconcile, which records the times
    gone = root / "media" / "aa" / f"aa{'1' * 62}.mp4"
    gone.unlink()
    listed: list[str] = []
    files = MediaStore.files
    monkeypatch.setattr(MediaStore, "files", lambda self, under="media": listed.append(under) or files(self, under))
    with Library.open(root) as lib:
        assert listed == ["media/aa"]  # bb's folder is unchanged: not listed
        assert lib.media(ids[f"media/aa/aa{'1' * 62}.mp4"]).missing
        assert not lib.media(ids[f"media/bb/bb{'2' * 62}.mp4"]).missing
    gone.touch()  # put back by hand: present again on the next open
    with Library.open(root) as lib:
        assert not lib.media(ids[f"media/aa/aa{'1' * 62}.mp4"]).missing


def test_a_media_folder_removed_by_hand_marks_all_its_files_missing(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    with Library.open(root) as lib:
        ids = _add_media_rows(lib, [f"media/cc/cc{'3' * 62}.mp4", f"media/cc/cc{'4' * 62}.wav",
                                    f"media/dd/dd{'5' * 62}.mp4"])
    _age_folders(root)
    Library.open(root).close()
    shutil.rmtree(root / "media" / "cc")
    with Library.open(root) as lib:
        assert [lib.media(i).missing for i in ids.values()] == [True, True, False]


def test_version_3_library_gains_folder_times_and_is_fully_reconciled(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    database = Database(root / "library.db")
    try:
        migrations.migrate(database, root / "backups", migrations.MIGRATIONS[:3])
        with database.transaction() as conn:
            conn.execute("INSERT INTO media (sha256, relpath, kind, created_at) VALUES (?, ?, 'video', 1.0)",
                         ("e" * 64, f"media/ee/{'e' * 64}.mp4"))
    finally:
        database.close()
    with Library.open(root) as lib:
        assert lib.database.user_version() == migrations.LATEST_VERSION >= 4
        assert lib.media(1).missing  # its file was never there
        assert lib.database.query_one("SELECT count(*) FROM media_folders")[0] >= 1
