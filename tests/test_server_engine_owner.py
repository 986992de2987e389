"""One GPU, one queue: the engine lock, job owners across processes, and `kinora serve`'s limits and keys."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openai
import pytest

from studio.cli import main
from studio.errors import KinoraError
from studio.library import Library
from studio.library.owner import EngineLock, Owner
from studio.recipe import Recipe
from studio.server.keys import KeyStore
from studio.server.limits import Limits
from studio.server.server import KinoraServer, ServeOptions
from tests.server_helpers import MATTE, client, running_server

pytestmark = pytest.mark.filterwarnings("ignore:The Sora API is scheduled")
REPO = Path(__file__).resolve().parent.parent

# A stand-in for the studio's engine process: it opens the library as that process does, takes the engine
# lock as "studio" and runs a Runner (which polls the shared jobs table), until a line arrives on stdin.
STUDIO_ENGINE = """
import sys
from studio.engine.runner import Runner
from studio.library import Library
from studio.library.owner import EngineLock
lib = Library.open(sys.argv[1], recover_jobs=False)
lock = EngineLock(lib.root, "studio")
assert lock.acquire(take_from=("serve",))
runner = Runner(lib)
runner.start()
print("ready", flush=True)
sys.stdin.readline()
runner.stop()
lock.release()
lib.close()
"""

# Another process that claims a job and keeps it running (as a `kinora generate` beside the studio would).
BUSY_ELSEWHERE = """
import sys
from studio.library import Library
lib = Library.open(sys.argv[1])
job = lib.claim_next_job()
print(job.id, flush=True)
sys.stdin.readline()
"""


@contextmanager
def python_process(script: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, cwd=REPO)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.stdin.write("stop\n")
            process.stdin.flush()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_reopening_the_library_leaves_a_job_another_live_process_is_generating(tmp_path: Path) -> None:
    # Issue 16's race: the old recovery paused every running job whenever the opener got the owner lock
    # (the studio reopened while a CLI engine generated), and resuming regenerated a finished take. The old
    # tests only simulated a crash inside one process, where every job really is orphaned.
    folder = tmp_path / "lib"
    studio = Library.open(folder)  # the studio, open first: it holds the owner lock
    take = studio.create_take(Recipe(prompt="still being made"))
    studio.enqueue_job(take.id)
    with python_process(BUSY_ELSEWHERE, str(folder)) as other:
        job_id = int(other.stdout.readline())
        studio.close()  # the studio closes and opens again while the other process still generates
        with Library.open(folder) as reopened:  # the first opener now: it runs the recovery
            assert reopened.is_owner
            assert reopened.job(job_id).status == "running"
            assert reopened.take(take.id).status == "running"
        other.stdin.write("done\n")
        other.stdin.flush()
        other.wait(30)
    with Library.open(folder) as after_exit:  # its process is gone now: the job is an orphan, paused
        assert after_exit.job(job_id).status == "paused" and after_exit.take(take.id).status == "queued"


def test_engine_lock_names_one_live_engine_and_a_dead_ones_lock_is_stale(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = Owner(int(dead.stdout), time.time() - 5, "gone", "studio")
    (tmp_path / "engine.lock").write_text(json.dumps(stale.to_dict()))
    serve = EngineLock(tmp_path, "serve")
    assert serve.holder() is None and serve.acquire()  # the dead process's lock is simply replaced
    other = EngineLock(tmp_path, "serve")
    assert not other.acquire() and other.holder().role == "serve"
    studio = EngineLock(tmp_path, "studio")
    assert studio.acquire(take_from=("serve",))  # the studio's engine takes the GPU from kinora serve
    assert not serve.held and studio.held
    studio.release()
    assert not (tmp_path / "engine.lock").exists() and other.acquire()
    other.release()


def test_a_job_submitted_while_another_processes_engine_owns_the_gpu_runs_on_that_engine(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    Library.open(folder).close()
    with python_process(STUDIO_ENGINE, str(folder)) as studio:
        assert studio.stdout.readline().strip() == "ready"
        with running_server(folder) as server:
            assert not server.engine.owns  # it only queues
            video = client(server).videos.create_and_poll(prompt="red", **MATTE)
            assert video.status == "completed"
            row = server.library.database.query_one("SELECT origin, owner_pid FROM jobs WHERE take_id = ?",
                                                    (video.model_extra["kinora"]["take_id"],))
            assert row["origin"] == "api" and row["owner_pid"] == studio.pid  # the studio's engine made it


def test_serve_gives_the_gpu_to_the_studio_and_takes_it_back(tmp_path: Path) -> None:
    with running_server(tmp_path / "lib") as server:
        assert server.engine.owns
        studio = EngineLock(server.library.root, "studio")
        assert studio.acquire(take_from=("serve",))
        server.engine.check()
        assert not server.engine.owns
        studio.release()
        server.engine.check()
        assert server.engine.owns
        assert client(server).videos.create_and_poll(prompt="blue", **MATTE).status == "completed"


@contextmanager
def queue_only_server(folder: Path, **kwargs) -> Iterator[KinoraServer]:  # noqa: ANN003
    """A server whose jobs stay queued: a (fake) studio engine in this process holds the GPU."""
    folder.mkdir(parents=True)
    studio = EngineLock(folder, "studio")
    assert studio.acquire()
    try:
        with running_server(folder, **kwargs) as server:
            yield server
    finally:
        studio.release()


def test_cancel_and_delete_rules_for_a_waiting_video(tmp_path: Path) -> None:
    with queue_only_server(tmp_path / "lib") as server:
        sdk = client(server)
        video = sdk.videos.create(prompt="red", **MATTE)
        assert video.status == "queued"
        with pytest.raises(openai.BadRequestError) as caught:
            sdk.videos.delete(video.id)  # only completed or failed videos
        assert caught.value.body["code"] == "invalid_state"
        answer = httpx.post(f"{server.base_url}/videos/{video.id}/cancel")
        assert answer.status_code == 200
        cancelled = sdk.videos.retrieve(video.id)
        assert cancelled.status == "failed" and cancelled.error.code == "cancelled"
        assert httpx.post(f"{server.base_url}/videos/{video.id}/cancel").status_code == 400
        assert sdk.videos.delete(video.id).deleted


def test_queue_depth_per_key_answers_429_without_queueing(tmp_path: Path) -> None:
    with queue_only_server(tmp_path / "lib", limits=Limits(queued_per_key=2)) as server:
        sdk = client(server)
        sdk.videos.create(prompt="red", **MATTE)
        sdk.videos.create(prompt="green", **MATTE)
        with pytest.raises(openai.RateLimitError) as caught:
            sdk.videos.create(prompt="blue", **MATTE)
        assert caught.value.body["code"] == "queue_full"
        assert len(server.library.list_jobs()) == 2


def test_upload_over_the_limit_is_refused_413_and_leaves_nothing(tmp_path: Path) -> None:
    with queue_only_server(tmp_path / "lib", limits=Limits(upload_bytes=1024 * 1024)) as server:
        big = b"\0" * (2 * 1024 * 1024)
        with pytest.raises(openai.APIStatusError) as caught:
            client(server).videos.edit(prompt="x", video=("big.mp4", big, "video/mp4"))
        assert caught.value.status_code == 413 and caught.value.body["code"] == "upload_too_large"
        # Streamed (no Content-Length): the body is cut off at the cap as it arrives.
        chunks = (b"--b\r\nContent-Disposition: form-data; name=\"video\"; filename=\"a.mp4\"\r\n\r\n" if i == 0
                  else b"\0" * 65536 for i in range(40))
        answer = httpx.post(f"{server.base_url}/videos/edits", content=chunks,
                            headers={"content-type": "multipart/form-data; boundary=b"})
        assert answer.status_code == 413
        assert server.library.list_jobs(active_only=False) == []
        uploads = server.library.cache_dir / "api-uploads"
        assert not uploads.exists() or not any(uploads.iterdir())


def test_keys_are_required_off_loopback_stored_hashed_and_checked(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    with Library.open(tmp_path / "lib") as lib, pytest.raises(KinoraError, match="keys create"):
        KinoraServer(lib, ServeOptions(host="0.0.0.0"), keys=store)
    key = store.create("laptop")
    assert key not in (tmp_path / "keys.json").read_text()
    with running_server(tmp_path / "lib2", keys=store, require_keys=True) as server:
        with pytest.raises(openai.AuthenticationError):
            client(server, key="kn-wrong").videos.list()
        assert httpx.get(f"{server.base_url}/videos").status_code == 401
        assert client(server, key=key).videos.list().data == []


def test_cli_makes_keys_and_refuses_a_public_address_without_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "needs API keys" in capsys.readouterr().err
    assert main(["--json", "serve", "keys", "create", "phone"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["name"] == "phone" and made["key"].startswith("kn-")
    assert KeyStore().match(made["key"]) == "phone"
    assert main(["serve", "keys", "revoke", "phone"]) == 0
    assert KeyStore().match(made["key"]) is None


def test_kinora_serve_runs_its_own_engine_in_a_child_process(tmp_path: Path) -> None:
    # What the command does: generating never holds the interpreter lock of the process answering polls.
    with running_server(tmp_path / "lib", engine_process=True) as server:
        video = client(server).videos.create_and_poll(prompt="red", **MATTE)
        assert video.status == "completed"
        row = server.library.database.query_one("SELECT owner_pid FROM jobs WHERE take_id = ?",
                                                (video.model_extra["kinora"]["take_id"],))
        assert row["owner_pid"] == server.gpu.pid != server.library.session.pid


def test_cors_is_off_unless_an_origin_is_configured(tmp_path: Path) -> None:
    preflight = {"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST"}
    with running_server(tmp_path / "lib") as server:
        answer = httpx.options(f"{server.base_url}/videos", headers=preflight)
        assert "access-control-allow-origin" not in answer.headers
    with Library.open(tmp_path / "lib2") as lib:
        server = KinoraServer(lib, ServeOptions(port=0, cors_origins=("http://elsewhere.example",), run_engine=False))
        server.start_in_thread()
        try:
            answer = httpx.options(f"{server.base_url}/videos", headers=preflight)
            assert answer.headers["access-control-allow-origin"] == "http://elsewhere.example"
        finally:
            server.stop()


def test_extra_routers_are_served_behind_the_keys_and_public_ones_without(tmp_path: Path) -> None:
    # How the Feed (issue 18) mounts its APIRouter at /feed beside the Videos API.
    from fastapi import APIRouter

    private, public = APIRouter(prefix="/feed"), APIRouter(prefix="/pub")
    private.add_api_route("/ping", lambda: {"ok": True})
    public.add_api_route("/ping", lambda: {"ok": True})
    store = KeyStore(tmp_path / "keys.json")
    key = store.create("me")
    with Library.open(tmp_path / "lib") as lib:
        server = KinoraServer(lib, ServeOptions(port=0, require_keys=True, run_engine=False), keys=store,
                              routers=[private], public_routers=[public])
        root = server.start_in_thread().removesuffix("/v1")
        try:
            assert httpx.get(f"{root}/feed/ping").status_code == 401
            assert httpx.get(f"{root}/feed/ping", headers={"Authorization": f"Bearer {key}"}).json() == {"ok": True}
            assert httpx.get(f"{root}/pub/ping").json() == {"ok": True}
        finally:
            server.stop()
