"""`kinora serve` driven by the official openai SDK (3.51.0), sync and async, strict and loose, over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import httpx
import numpy as np
import openai
import pytest

from studio.provenance.reader import read_credentials
from studio.server.server import KinoraServer
from tests.server_helpers import MATTE, TINY, async_client, client, running_server

pytestmark = pytest.mark.filterwarnings("ignore:The Sora API is scheduled")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KinoraServer]:
    with running_server(tmp_path_factory.mktemp("api") / "library") as running:
        yield running


def _png(width: int = 32, height: int = 32) -> bytes:
    image = np.zeros((height, width, 3), np.uint8)
    image[:, : width // 2] = (0, 0, 255)
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def _decode_mp4(data: bytes) -> tuple[int, tuple[int, int], bool]:
    with av.open(io.BytesIO(data)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        has_audio = bool(container.streams.audio)
    return len(frames), frames[0].shape[:2], has_audio


def test_create_and_poll_then_every_download_variant_decodes(server: KinoraServer, tmp_path: Path) -> None:
    sdk = client(server)  # strict: every response must validate against the SDK's own models
    video = sdk.videos.create_and_poll(prompt="red", **MATTE)
    assert video.status == "completed" and video.progress == 100 and video.object == "video"
    assert video.seconds == "1" and video.size in ("1280x720", "1792x1024") and video.model == "builtin:matte"
    facts = video.model_extra["kinora"]
    assert facts["size"] == "64x36" and facts["recipe"]["prompt"] == "red" and facts["origin"] == "api"
    assert server.library.take(facts["take_id"]).status == "done"

    mp4 = sdk.videos.download_content(video.id, variant="video").content
    count, (height, width), has_audio = _decode_mp4(mp4)
    assert count == 24 and (width, height) == (64, 36) and has_audio
    (tmp_path / "v.mp4").write_bytes(mp4)
    report = read_credentials(tmp_path / "v.mp4")  # the same signed, AI-marked export as `kinora export`
    assert report.state == "valid" and report.ai_generated and report.recipe.prompt == "red"

    thumb = sdk.videos.download_content(video.id, variant="thumbnail")
    assert thumb.response.headers["content-type"] == "image/webp"
    picture = cv2.imdecode(np.frombuffer(thumb.content, np.uint8), cv2.IMREAD_COLOR)
    assert picture is not None and picture.shape[0] == 360 and picture[..., 2].mean() > 150  # red, BGR

    sheet = sdk.videos.download_content(video.id, variant="spritesheet")
    assert sheet.response.headers["content-type"] == "image/jpeg"
    grid = cv2.imdecode(np.frombuffer(sheet.content, np.uint8), cv2.IMREAD_COLOR)
    assert grid.shape[0] == 90 and grid.shape[1] >= 10 * 150  # ten frames side by side


def test_download_answers_http_range_requests(server: KinoraServer) -> None:
    video = client(server).videos.create_and_poll(prompt="green", **MATTE)
    url = f"{server.base_url}/videos/{video.id}/content"
    whole = httpx.get(url).content
    part = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"


def test_sora_2_maps_to_the_fallback_model_with_the_nearest_sdk_size(server: KinoraServer) -> None:
    video = client(server, strict=False).videos.create_and_poll(prompt="a noisy sea", seconds="1", size="720x1280")
    assert video.status == "completed", video.error
    facts = video.model_extra["kinora"]
    assert facts["model"] == "tiny-random" and video.size == "720x1280"
    width, height = (int(v) for v in facts["size"].split("x"))
    assert height > width  # portrait, at the tiny model's own resolution


def test_async_client_creates_polls_retrieves_and_lists(server: KinoraServer) -> None:
    async def scenario() -> None:
        sdk = async_client(server)
        video = await sdk.videos.create_and_poll(prompt="blue", **MATTE)
        assert video.status == "completed"
        again = await sdk.videos.retrieve(video.id)
        assert again.id == video.id and again.status == "completed"
        page = await sdk.videos.list(limit=100)
        assert video.id in [v.id for v in page.data]
        await sdk.close()

    asyncio.run(scenario())


def test_retrieve_sends_the_poll_interval_while_waiting(server: KinoraServer) -> None:
    video = client(server).videos.create(prompt="white", **MATTE)
    raw = client(server).videos.with_raw_response.retrieve(video.id)
    if raw.parse().status in ("queued", "in_progress"):
        assert raw.headers["openai-poll-after-ms"] == "50"
    done = client(server).videos.poll(video.id)
    assert done.status == "completed"
    assert "openai-poll-after-ms" not in client(server).videos.with_raw_response.retrieve(video.id).headers


def test_list_pages_with_a_stable_cursor_in_both_orders(server: KinoraServer) -> None:
    sdk = client(server)
    made = [sdk.videos.create_and_poll(prompt=color, **MATTE).id for color in ("red", "green", "blue")]
    ids = [int(v.id.split("_")[1]) for v in sdk.videos.list(limit=100).data]
    assert ids == sorted(ids, reverse=True)
    ascending = [v.id for v in sdk.videos.list(limit=1, order="asc")]  # auto-paging, one per page
    assert [int(i.split("_")[1]) for i in ascending] == sorted(ids)
    first = sdk.videos.list(limit=2, order="desc")
    assert first.has_more and first.last_id == first.data[-1].id
    newest = sdk.videos.create(prompt="black", **MATTE)  # a new video does not shift the next page
    second = sdk.videos.list(limit=2, order="desc", after=first.last_id)
    assert int(second.data[0].id.split("_")[1]) < int(first.last_id.split("_")[1])
    assert set(made) <= set(ascending)
    end = sdk.videos.list(limit=100, order="asc", after=newest.id)
    assert end.data == [] and end.has_more is False and end.first_id is None


def test_remix_keeps_the_parents_recipe_with_the_new_prompt_and_records_lineage(server: KinoraServer) -> None:
    sdk = client(server)
    parent = sdk.videos.create_and_poll(prompt="red", **MATTE)
    child = sdk.videos.remix(parent.id, prompt="blue")
    assert child.remixed_from_video_id == parent.id
    child = sdk.videos.poll(child.id)
    assert child.status == "completed"
    lib = server.library
    take = lib.take(child.model_extra["kinora"]["take_id"])
    assert take.parent_take_id == parent.model_extra["kinora"]["take_id"] and take.remix_kind == "remix"
    assert take.recipe.prompt == "blue" and take.recipe.width == 64 and take.recipe.model_id == "builtin:matte"
    assert child.id in sdk.videos.retrieve(parent.id).model_extra["kinora"]["children"]


def test_extend_by_video_id_reaches_the_new_total_length(server: KinoraServer) -> None:
    sdk = client(server)
    parent = sdk.videos.create_and_poll(prompt="waves", **TINY)
    # SDK 3.51.0 refuses video={"id": ...} client-side (extract_files wants a file); the same reference goes
    # through extra_body, which the SDK sends as the multipart bracket key video[id].
    longer = sdk.videos.extend(prompt="more waves", seconds="2", video=openai.omit,
                               extra_body={"video": {"id": parent.id}})
    assert longer.remixed_from_video_id == parent.id and longer.seconds == "2"
    longer = sdk.videos.poll(longer.id)
    assert longer.status == "completed", longer.error
    take = server.library.take(longer.model_extra["kinora"]["take_id"])
    assert take.remix_kind == "extend" and take.parent_take_id == parent.model_extra["kinora"]["take_id"]
    count, _, _ = _decode_mp4(sdk.videos.download_content(longer.id).content)
    assert count >= 44  # about 2 s at 24 fps: the parent and the added second


def test_edit_of_an_uploaded_video_is_video_to_video_with_the_upload_as_parent(server: KinoraServer) -> None:
    sdk = client(server)
    source = sdk.videos.create_and_poll(prompt="yellow", model="builtin:matte", seconds="1", size="32x32")
    upload = sdk.videos.download_content(source.id).content
    edited = sdk.videos.edit(prompt="make it noisy", video=("clip.mp4", upload, "video/mp4"))
    edited = sdk.videos.poll(edited.id)
    assert edited.status == "completed", edited.error
    take = server.library.take(edited.model_extra["kinora"]["take_id"])
    parent = server.library.take(take.parent_take_id)
    assert take.recipe.mode == "video" and take.remix_kind == "video"
    assert parent.origin == "imported" and parent.title == "clip.mp4"
    assert server.library.media_path(server.library.media(parent.media_id)).is_relative_to(server.library.root)


def test_extend_of_an_uploaded_video_imports_it_as_the_parent(server: KinoraServer) -> None:
    sdk = client(server)
    source = sdk.videos.create_and_poll(prompt="cyan", model="builtin:matte", seconds="1", size="32x32")
    upload = sdk.videos.download_content(source.id).content
    longer = sdk.videos.poll(sdk.videos.extend(prompt="on and on", seconds="2",
                                               video=("start.mp4", upload, "video/mp4")).id)
    assert longer.status == "completed", longer.error
    take = server.library.take(longer.model_extra["kinora"]["take_id"])
    assert take.remix_kind == "extend" and server.library.take(take.parent_take_id).title == "start.mp4"


def test_input_reference_upload_and_data_url_make_image_to_video(server: KinoraServer) -> None:
    sdk = client(server)
    video = sdk.videos.create_and_poll(prompt="a red half", input_reference=("ref.png", _png(), "image/png"), **TINY)
    assert video.status == "completed", video.error
    recipe = server.library.take(video.model_extra["kinora"]["take_id"]).recipe
    assert recipe.mode == "image" and Path(recipe.image).is_relative_to(server.library.root)
    data_url = "data:image/png;base64," + base64.b64encode(_png()).decode()
    answer = httpx.post(f"{server.base_url}/videos", json={"prompt": "again", **TINY,
                                                          "input_reference": {"image_url": data_url}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["kinora"]["recipe"]["mode"] == "image"
    form = httpx.post(f"{server.base_url}/videos", data={"prompt": "and as a form field", **TINY,
                                                         "input_reference[image_url]": data_url})
    assert form.status_code == 200 and form.json()["kinora"]["recipe"]["mode"] == "image"
    client(server).videos.poll(answer.json()["id"])
    client(server).videos.poll(form.json()["id"])


def test_delete_removes_a_completed_video(server: KinoraServer) -> None:
    sdk = client(server)
    video = sdk.videos.create_and_poll(prompt="gray", **MATTE)
    deleted = sdk.videos.delete(video.id)
    assert deleted.deleted and deleted.object == "video.deleted" and deleted.id == video.id
    with pytest.raises(openai.NotFoundError):
        sdk.videos.retrieve(video.id)


@pytest.mark.parametrize(("fields", "param", "status"), [
    ({"model": "no-such-model"}, "model", 400),
    ({"size": "huge"}, "size", 400),
    ({"size": "8x8"}, "size", 400),
    ({"seconds": "21"}, "seconds", 400),
    ({"seconds": "2.5"}, "seconds", 400),
    ({"prompt": "x" * 4001}, "prompt", 413),
    ({"prompt": "   "}, "prompt", 400),
])
def test_bad_create_requests_name_the_parameter_and_queue_nothing(server: KinoraServer, fields: dict[str, str],
                                                                    param: str, status: int) -> None:
    before = len(server.library.list_jobs(active_only=False))
    with pytest.raises(openai.APIStatusError) as caught:
        client(server).videos.create(**{"prompt": "red", **MATTE, **fields})
    assert caught.value.status_code == status
    error = caught.value.body
    assert error["param"] == param and error["message"] and error["type"]
    assert len(server.library.list_jobs(active_only=False)) == before


def test_unknown_ids_variants_and_unfinished_content_are_clear_errors(server: KinoraServer) -> None:
    sdk = client(server)
    for bad in ("video_999999", "../../etc/passwd", "video_1/../x"):
        with pytest.raises(openai.NotFoundError):
            sdk.videos.retrieve(bad)
    video = sdk.videos.create_and_poll(prompt="pink", **MATTE)
    answer = httpx.get(f"{server.base_url}/videos/{video.id}/content", params={"variant": "poster"})
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "variant"
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.videos.extend(prompt="shorter", seconds="1", video=openai.omit, extra_body={"video": {"id": video.id}})
    assert caught.value.body["param"] == "seconds"
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.videos.edit(prompt="x", video=("notes.txt", b"not a video", "text/plain"))
    assert caught.value.body["param"] == "video"
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.videos.create(prompt="x", extra_body={"input_reference": {"image_url": "https://example.com/a.png"}},
                          **TINY)
    assert caught.value.body["param"] == "input_reference[image_url]"


def test_idempotency_key_queues_one_video(server: KinoraServer) -> None:
    sdk = client(server)
    first = sdk.videos.create(prompt="orange", **MATTE, extra_headers={"Idempotency-Key": "same-1"})
    second = sdk.videos.create(prompt="orange", **MATTE, extra_headers={"Idempotency-Key": "same-1"})
    assert first.id == second.id
    sdk.videos.poll(first.id)


def test_a_failure_after_queueing_forbids_the_sdks_retry(server: KinoraServer, monkeypatch) -> None:
    # The SDK retries a 500 twice: without x-should-retry: false one request would queue three videos.
    calls = {"n": 0}
    real = server.videos._video

    def broken(take):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the answer could not be built")
        return real(take)

    before = len(server.library.list_jobs(active_only=False))
    monkeypatch.setattr(server.videos, "_video", broken)
    with pytest.raises(openai.InternalServerError) as caught:
        client(server, retries=2).videos.create(prompt="purple", **MATTE)
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert len(server.library.list_jobs(active_only=False)) == before + 1
