"""The Library dock: a lazy grid that pages through 100,000 takes, search and filters, favourites,
delete with confirmation, and the take drag format the timeline reads."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QModelIndex

from studio.app import make_application
from studio.library import Library
from studio.library.records import TakeSort
from studio.recipe import Recipe
from studio.ui.library.model import TakeListModel, decode_take_ids
from studio.ui.library.panel import LibraryPanel
from studio.ui.library.query import PAGE_SIZE
from studio.ui.tasks import wait_for_tasks

WAIT_MS = 60_000


@dataclass
class FakeTake:
    id: int
    favorite: bool = False
    status: str = "done"
    recipe: Recipe | None = None
    title: str = ""
    origin: str = "generated"
    media_id: int | None = None
    created_at: float = field(default_factory=time.time)
    error: str | None = None

    @property
    def display_title(self) -> str:
        return f"take {self.id}"


class HugeLibrary:
    """100,000 takes without a database: list_takes pages like the real one and counts its calls."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.calls: list[int | None] = []
        self.sorts: list[TakeSort] = []
        self.cache_dir = Path("/nonexistent")

    def list_takes(self, *, limit, after=None, sort=TakeSort.NEWEST, status=None, favorites=False, model_id=None,
                   created_after=None):
        self.calls.append(after.id if after is not None else None)
        self.sorts.append(sort)
        if sort is TakeSort.OLDEST:
            bottom = 1 if after is None else after.id + 1
            return [FakeTake(i) for i in range(bottom, min(self.count, bottom + limit - 1) + 1)]
        top = self.count if after is None else after.id - 1
        return [FakeTake(i) for i in range(top, max(0, top - limit), -1)]

    def count_takes(self, *, status=None, favorites=False, model_id=None):
        return self.count


def test_grid_pages_lazily_through_100000_takes(qtbot):
    make_application()
    huge = HugeLibrary(100_000)
    panel = LibraryPanel(huge)
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    panel.start()
    qtbot.waitUntil(lambda: panel.model.rowCount() == PAGE_SIZE, timeout=WAIT_MS)
    assert huge.calls == [None]  # one page, not 100,000 rows
    qtbot.waitUntil(lambda: panel.count_label.text() == "200 of 100,000 takes", timeout=WAIT_MS)
    started = time.perf_counter()
    bar = panel.view.verticalScrollBar()
    for _ in range(10):  # fling to the bottom ten times: each asks for a page (or two) more
        rows, top = panel.model.rowCount(), bar.maximum()
        bar.setValue(top)
        qtbot.waitUntil(lambda: not panel.model.loading and panel.model.rowCount() > rows, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: bar.maximum() > top, timeout=WAIT_MS)  # laid out: the bar can go further
    qtbot.waitUntil(lambda: not panel.model.loading, timeout=WAIT_MS)
    elapsed = time.perf_counter() - started
    rows = panel.model.rowCount()
    print(f"\n{rows} of {huge.count} takes paged in by scrolling in {elapsed * 1000:.0f} ms")
    assert rows == len(huge.calls) * PAGE_SIZE
    assert 11 * PAGE_SIZE <= rows <= 40 * PAGE_SIZE  # it grew with scrolling, a page at a time, nowhere near all
    ids = [panel.model.item_at(r).take_id for r in range(rows)]
    assert ids == list(range(100_000, 100_000 - rows, -1))  # in order, none twice, none lost


def make_takes(lib: Library) -> dict[str, int]:
    ids = {}
    for prompt, model in (("a red fox in snow", "tiny-random"), ("a blue whale sings", "ltx-2"),
                          ("red lanterns at night", "tiny-random")):
        ids[prompt] = lib.create_take(Recipe(prompt=prompt, model_id=model)).id
    lib.update_take(ids["a blue whale sings"], status="failed", error="out of memory")
    return ids


def open_panel(qtbot, lib, **kwargs) -> LibraryPanel:
    make_application()
    panel = LibraryPanel(lib, model_ids=["tiny-random", "ltx-2"], **kwargs)
    qtbot.addWidget(panel)
    panel.show()
    panel.start()
    return panel


def shown(panel: LibraryPanel) -> list[str]:
    return [panel.model.item_at(r).take.recipe.prompt for r in range(panel.model.rowCount())]


def test_search_and_filters_narrow_the_grid(qtbot, lib):
    ids = make_takes(lib)
    panel = open_panel(qtbot, lib)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=WAIT_MS)
    assert shown(panel) == ["red lanterns at night", "a blue whale sings", "a red fox in snow"]

    assert not panel.search.isClearButtonEnabled()  # made with the first text (start-up, issue 15)
    panel.search.setText("red")
    qtbot.waitUntil(lambda: shown(panel) == ["red lanterns at night", "a red fox in snow"], timeout=WAIT_MS)
    assert panel.search.isClearButtonEnabled()  # the × that clears the search, shown over the text
    panel.search.clear()
    panel.failed.setChecked(True)
    qtbot.waitUntil(lambda: shown(panel) == ["a blue whale sings"], timeout=WAIT_MS)
    panel.failed.setChecked(False)
    panel.model_filter.setCurrentText("tiny-random")
    qtbot.waitUntil(lambda: shown(panel) == ["red lanterns at night", "a red fox in snow"], timeout=WAIT_MS)
    panel.model_filter.setCurrentIndex(0)
    panel.set_favorite(ids["a red fox in snow"], True)
    qtbot.waitUntil(lambda: lib.take(ids["a red fox in snow"]).favorite, timeout=WAIT_MS)
    panel.favorites.setChecked(True)
    qtbot.waitUntil(lambda: shown(panel) == ["a red fox in snow"], timeout=WAIT_MS)


def test_delete_asks_first_and_keeps_the_take_when_declined(qtbot, lib):
    ids = make_takes(lib)
    answers = [False, True]
    panel = open_panel(qtbot, lib, confirm_delete=lambda parent, item, usage: answers.pop(0))
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=WAIT_MS)
    fox = ids["a red fox in snow"]
    panel.select_take(fox)
    panel.delete_selected()
    wait_for_tasks()
    qtbot.wait(50)
    assert lib.take(fox) and panel.model.row_of(fox) is not None
    panel.delete_selected()
    qtbot.waitUntil(lambda: panel.model.row_of(fox) is None, timeout=WAIT_MS)
    assert lib.count_takes() == 2


def test_dragged_takes_carry_their_ids_in_the_kinora_mime_type(qtbot, lib):
    ids = make_takes(lib)
    make_application()
    model = TakeListModel(lib)
    model.reload()
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=WAIT_MS)
    mime = model.mimeData([model.index(0), model.index(2)])
    assert decode_take_ids(mime) == [ids["red lanterns at night"], ids["a red fox in snow"]]
    assert model.canFetchMore(QModelIndex()) is False  # three takes: the first page was the last


def test_a_new_take_appears_first_and_updates_in_place(qtbot, lib):
    make_takes(lib)
    panel = open_panel(qtbot, lib)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=WAIT_MS)
    new = lib.create_take(Recipe(prompt="a new idea", model_id="tiny-random")).id
    panel.model.refresh_take(new)
    qtbot.waitUntil(lambda: panel.model.row_of(new) == 0, timeout=WAIT_MS)
    lib.update_take(new, status="failed", error="no weights")
    panel.model.refresh_take(new)
    qtbot.waitUntil(lambda: panel.model.item_at(0).take.status == "failed", timeout=WAIT_MS)
    assert panel.model.rowCount() == 4


def test_sort_box_reorders_the_grid_and_pages_on_from_the_last_take_in_that_order(qtbot, lib):
    ids = make_takes(lib)
    lib.update_take(ids["a blue whale sings"], recipe=Recipe(prompt="a blue whale sings", model_id="ltx-2",
                                                             seconds=9.0))
    panel = open_panel(qtbot, lib)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=WAIT_MS)
    panel.sort_box.setCurrentText("Longest first")
    qtbot.waitUntil(lambda: shown(panel)[:1] == ["a blue whale sings"], timeout=WAIT_MS)
    assert panel.model.query.sort is TakeSort.LONGEST
    panel.sort_box.setCurrentText("Prompt A–Z")
    qtbot.waitUntil(lambda: shown(panel) == ["a blue whale sings", "a red fox in snow", "red lanterns at night"],
                    timeout=WAIT_MS)
    new = lib.create_take(Recipe(prompt="zzz a new idea", model_id="tiny-random")).id
    panel.model.refresh_take(new)
    wait_for_tasks()
    qtbot.wait(50)
    assert panel.model.row_of(new) is None  # not wrongly put first; it takes its place on reload
    panel.sort_box.setCurrentText("Oldest first")
    qtbot.waitUntil(lambda: shown(panel) == ["a red fox in snow", "a blue whale sings", "red lanterns at night",
                                             "zzz a new idea"], timeout=WAIT_MS)


def test_sorted_grid_pages_with_the_last_take_as_cursor(qtbot):
    make_application()
    huge = HugeLibrary(1_000)
    panel = LibraryPanel(huge)
    qtbot.addWidget(panel)
    panel.sort_box.setCurrentText("Oldest first")
    panel.start()
    qtbot.waitUntil(lambda: panel.model.rowCount() == PAGE_SIZE, timeout=WAIT_MS)
    panel.model.fetchMore()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2 * PAGE_SIZE, timeout=WAIT_MS)
    assert huge.calls[-2:] == [None, PAGE_SIZE] and set(huge.sorts) == {TakeSort.OLDEST}
    assert [panel.model.item_at(r).take_id for r in range(2 * PAGE_SIZE)] == list(range(1, 2 * PAGE_SIZE + 1))
