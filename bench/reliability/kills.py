"""The SIGKILL campaign: generate, import, export and edit run as real `kinora` processes, killed at a
random moment; after each kill the library is opened again (which recovers and sweeps) and checked.

Checked after every kill: SQLite `PRAGMA integrity_check` (before Kinora touches the file), every take
that was done is still done with its media file, no job is left running, no export lies under its final
name half-written, and no temporary work of the dead process is left anywhere Kinora writes.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

EDIT_SCRIPT = """
import random, sys
from studio.library import Library
from studio.project.timeline import clips_for_take
lib = Library.open(sys.argv[1])
takes = [t for t in lib.list_takes() if t.status == "done" and t.media_id is not None]
project = lib.create_project("edit")
timeline = lib.load_timeline(project.id)
for i in range(400):
    take = random.choice(takes)
    media = lib.media(take.media_id)
    video, audio = clips_for_take(take, media, lib.media_path(media))
    for track, clip in ((timeline.tracks[0], video), (timeline.tracks[1], audio)):
        if clip is not None:
            track.append(clip)
    lib.save_timeline(project.id, timeline)
    if i % 7 == 0:
        lib.snapshot_project(project.id, timeline=timeline)
"""

# operation -> (weight, longest useful delay before the kill, seconds)
OPERATIONS = {"generate": (3, 6.0), "generate-tiny": (1, 25.0), "import": (2, 4.0), "import-bundle": (1, 4.0),
              "export": (3, 8.0), "edit": (2, 5.0)}


def _kinora(*args: str) -> list[str]:
    return [sys.executable, "-m", "studio", *args]


class Campaign:
    def __init__(self, workdir: Path, corpus: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        self.library = workdir / "library"
        self.out = workdir / "exports"
        self.inputs = workdir / "inputs"
        self.corpus = corpus
        self.env = {**os.environ, "KINORA_LIBRARY": str(self.library), "KINORA_CONFIG": str(workdir / "config")}
        for folder in (self.out, self.inputs):
            folder.mkdir(parents=True, exist_ok=True)
        self.done: set[int] = set()
        self.counts: Counter[str] = Counter()
        self.findings: list[str] = []

    def prepare(self, bundle: Path) -> None:
        """A first take (to export and edit) and the bundle to import."""
        self.bundle = bundle
        subprocess.run(_kinora("generate", "cyan", "--model", "builtin:matte", "--seconds", "1"), cwd=REPO,
                       env=self.env, check=True, capture_output=True, timeout=300)
        self._check("prepare")

    def _command(self, operation: str) -> list[str]:
        n = self.counts["trials"]
        if operation == "generate":
            name = self.rng.choice(["matte", "bars", "countdown", "title"])
            return _kinora("generate", "cyan" if name == "matte" else f"take {n}", "--model", f"builtin:{name}",
                           "--seconds", str(self.rng.choice([1, 2, 3])), "--size", "320x180")
        if operation == "generate-tiny":
            return _kinora("generate", f"tiny {n}", "--model", "tiny-random", "--seconds", "0.5", "--size",
                           "32x32", "--steps", "2", "--seed", str(n))
        if operation == "import":
            source = self.rng.choice([p for p in (self.corpus / "video").glob("*.mp4") if "too_long" not in p.name])
            copy = self.inputs / f"import-{n}.mp4"
            copy.write_bytes(source.read_bytes() + os.urandom(16))  # new bytes each time: a real copy into the store
            return _kinora("import", str(copy))
        if operation == "import-bundle":
            return _kinora("import", str(self.bundle))
        if operation == "export":
            take = self.rng.choice(sorted(self.done))
            return _kinora("export", str(take), "--take", "-o", str(self.out / f"export-{n}.mp4"))
        return [sys.executable, "-c", EDIT_SCRIPT, str(self.library)]

    def trial(self) -> None:
        names = list(OPERATIONS)
        operation = self.rng.choices(names, weights=[OPERATIONS[n][0] for n in names])[0]
        delay = self.rng.uniform(0.05, OPERATIONS[operation][1])
        self.counts["trials"] += 1
        process = subprocess.Popen(self._command(operation), cwd=REPO, env=self.env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            process.wait(timeout=delay)
            self.counts["finished before the kill"] += 1
            err = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
            if "Traceback" in err:
                self.counts["tracebacks"] += 1
                self.findings.append(f"traceback in {operation}: {err.strip()[-200:]}")
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            self.counts["kills"] += 1
            self.counts[f"kills: {operation}"] += 1
        finally:
            if process.stderr:
                process.stderr.close()
        self._check(operation)

    def _check(self, operation: str) -> None:
        from studio.errors import KinoraError
        from studio.library import Library
        from studio.media.probe import probe

        db = self.library / "library.db"
        with sqlite3.connect(db) as conn:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            self._fail("integrity failures", f"{operation}: {integrity}")
        with Library.open(self.library) as lib:
            for take_id in sorted(self.done):
                try:
                    take = lib.take(take_id)
                    ok = take.status == "done" and take.media_id is not None and lib.media_path(lib.media(take.media_id)).is_file()
                except KinoraError:
                    ok = False
                if not ok:
                    self._fail("lost takes", f"{operation}: take {take_id}")
                    self.done.discard(take_id)
            self.done |= {t.id for t in lib.list_takes() if t.status == "done" and t.media_id is not None}
            running = [j.id for j in lib.list_jobs(active_only=False) if j.status == "running"]
            if running:
                self._fail("jobs left running", f"{operation}: jobs {running}")
        for output in self.out.glob("*.mp4"):
            if output.name.startswith("."):
                continue
            try:
                probe(output)
            except KinoraError as exc:
                self._fail("broken outputs", f"{operation}: {exc}")
                output.unlink()
        for left in leftovers(self.library, self.out):
            self._fail("leftovers after restart", f"{operation}: {left}")
            _remove(left)

    def _fail(self, kind: str, detail: str) -> None:
        self.counts[kind] += 1
        self.findings.append(f"{kind}: {detail}")


def leftovers(library: Path, out: Path) -> list[Path]:
    """Temporary work anywhere Kinora writes for this library and its exports (after a sweep: none)."""
    cache = library / "cache"
    found = [p for p in cache.glob("import-*")]
    found += list((cache / "engine").glob("tmp*"))
    found += list((cache / "incoming").glob("*"))
    found += list((cache / "exports").glob("*"))
    found += [p for p in library.rglob("*.part*")]
    found += [p for p in out.iterdir() if p.name.startswith(".kinora-export-") or ".part" in p.name]
    return found


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def run_kills(workdir: Path, corpus: Path, bundle: Path, trials: int, seed: int,
              deadline: float | None = None) -> tuple[Counter[str], list[str]]:
    campaign = Campaign(workdir, corpus, seed)
    campaign.prepare(bundle)
    for _ in range(trials):
        if deadline is not None and time.monotonic() > deadline:
            break
        campaign.trial()
    return campaign.counts, campaign.findings
