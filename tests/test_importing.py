"""One import service for the CLI, drops on the window and on the timeline, and the API."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from studio.cli import main
from studio.importing import import_file
from studio.library import Library


def test_the_same_bytes_find_their_take_whoever_imports_them(lib: Library, corpus: Path, tmp_path: Path) -> None:
    # Before, the drop handler made a second take on every re-drop (titled "clip.mp4"), the timeline's
    # drop kept no credentials, and only the CLI looked for the existing take.
    first = import_file(lib, corpus / "c2pa" / "video1.mp4")
    assert not first.already_there and first.take.title == "video1"  # no extension in the title
    assert first.credentials is not None and first.credentials.has_credentials
    copy = tmp_path / "renamed copy.mp4"
    shutil.copy(corpus / "c2pa" / "video1.mp4", copy)
    again = import_file(lib, copy)
    assert again.already_there and again.take.id == first.take.id
    assert lib.count_takes() == 1


def test_cli_import_goes_through_the_service(corpus: Path, capsys) -> None:
    assert main(["import", str(corpus / "audio" / "bear.opus"), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)[0]
    assert main(["import", str(corpus / "audio" / "bear.opus"), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)[0]
    assert second["id"] == first["id"] and second["already_there"]
    with Library.open() as lib:
        assert lib.take(first["id"]).title == "bear"


def test_images_for_image_to_video_are_copied_into_the_library(lib: Library, corpus: Path, tmp_path: Path) -> None:
    # Before, the take's recipe named the dropped file where it was, outside the library.
    from studio.importing import adopt_recipe_images
    from studio.recipe import Recipe

    image = tmp_path / "start.jpg"
    shutil.copy(corpus / "images" / "Landscape_6.jpg", image)
    recipe = Recipe(prompt="the hills at dusk", model_id="tiny-random", mode="image", image=str(image))
    adopted = adopt_recipe_images(lib, recipe)
    stored = Path(adopted.image)
    assert stored.is_file() and stored.resolve().is_relative_to(lib.root.resolve())
    assert stored.read_bytes() == image.read_bytes()
    image.unlink()  # the original may go: the take does not need it
    assert adopt_recipe_images(lib, adopted) == adopted  # already in the library: unchanged
