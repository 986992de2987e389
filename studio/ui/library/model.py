"""The lazy Qt model behind the library grid.

Rows arrive a page at a time: the view asks `canFetchMore`/`fetchMore` as it scrolls, the page
is loaded on a worker thread, and rows are inserted when it returns. A 100,000-take library
costs the GUI thread only the rows scrolled past.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QByteArray, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal

from studio.library.records import TakeSort
from studio.ui.library.query import LibraryQuery, Page, TakeItem, describe_take, load_page
from studio.ui.tasks import run_async

if TYPE_CHECKING:
    from studio.library import Library


TAKE_MIME = "application/x-kinora-take"  # payload: take ids as ASCII decimal, one a line
TAKE_SPAN_MIME = "application/x-kinora-take-span"  # payload: "IN OUT", seconds into each take (Source's marks)
ItemRole = Qt.ItemDataRole.UserRole + 1
TakeIdRole = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex


def encode_take_ids(take_ids: list[int], span: tuple[float, float] | None = None) -> QMimeData:
    """Mime data for dragging takes (to the timeline); `span` (in, out seconds) puts only that part of each
    on it (a drag from the Source monitor with In/Out marks)."""
    mime = QMimeData()
    mime.setData(TAKE_MIME, QByteArray("\n".join(str(i) for i in take_ids).encode("ascii")))
    mime.setText(", ".join(f"take {i}" for i in take_ids))
    if span is not None:
        mime.setData(TAKE_SPAN_MIME, QByteArray(f"{span[0]!r} {span[1]!r}".encode("ascii")))
    return mime


def decode_take_ids(mime: QMimeData) -> list[int]:
    """Take ids from a drag made by `encode_take_ids` (empty if it is not one)."""
    if not mime.hasFormat(TAKE_MIME):
        return []
    text = bytes(mime.data(TAKE_MIME).data()).decode("ascii", "replace")
    return [int(part) for part in text.split() if part.isdigit()]


def decode_take_span(mime: QMimeData) -> tuple[float, float] | None:
    """The (in, out) seconds of a drag made by `encode_take_ids` with a span; None for whole takes (or a
    span that is not one: it is ignored rather than cut wrong)."""
    if not mime.hasFormat(TAKE_SPAN_MIME):
        return None
    try:
        mark_in, mark_out = (float(part) for part in bytes(mime.data(TAKE_SPAN_MIME).data()).decode("ascii").split())
    except (UnicodeDecodeError, ValueError):
        return None
    return (mark_in, mark_out) if 0.0 <= mark_in < mark_out and math.isfinite(mark_out) else None


class TakeListModel(QAbstractListModel):
    """Takes in the library order, loaded lazily for the current `LibraryQuery`."""

    loading_changed = Signal(bool)
    load_failed = Signal(str)

    def __init__(self, lib: Library, parent: Any = None) -> None:
        super().__init__(parent)
        self._lib = lib
        self._query = LibraryQuery()
        self._items: list[TakeItem] = []
        self._rows: dict[int, int] = {}  # take id -> row
        self._exhausted = False
        self._last: Any = None  # the take the next page starts after (the library's paging cursor)
        self._loading = False
        self._generation = 0  # bumps on every reset; stale pages are dropped

    # -- Qt model -------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._items):
            return None
        item = self._items[index.row()]
        if role == ItemRole:
            return item
        if role == TakeIdRole:
            return item.take_id
        if role == Qt.ItemDataRole.DisplayRole:
            return item.take.display_title
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(item)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [TAKE_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        return encode_take_ids([self._items[i.row()].take_id for i in indexes if i.isValid()])

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted or self._loading:
            return
        self._load(self._last)

    # -- queries --------------------------------------------------------------------------------
    @property
    def query(self) -> LibraryQuery:
        return self._query

    @property
    def loading(self) -> bool:
        return self._loading

    def set_query(self, query: LibraryQuery) -> None:
        """Show another view of the library (search, filters, sort); reloads from the first page."""
        self._query = query
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._items = []
        self._rows = {}
        self._exhausted = False
        self._last = None
        self._loading = False
        self._generation += 1
        self.endResetModel()
        self._load(None)

    def _load(self, after: Any) -> None:
        self._loading = True
        self.loading_changed.emit(True)
        generation, query, lib = self._generation, self._query, self._lib
        run_async(lambda: load_page(lib, query, after),
                  lambda page: self._page_loaded(generation, page),
                  lambda exc: self._page_failed(generation, exc), receiver=self)

    def _page_loaded(self, generation: int, page: Page) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._exhausted = page.exhausted
        self._last = page.last
        fresh = [item for item in page.items if item.take_id not in self._rows]
        if fresh:
            first = len(self._items)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            for offset, item in enumerate(fresh):
                self._rows[item.take_id] = first + offset
                self._items.append(item)
            self.endInsertRows()
        self.loading_changed.emit(False)

    def _page_failed(self, generation: int, exc: Exception) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._exhausted = True
        self.loading_changed.emit(False)
        self.load_failed.emit(str(exc))

    # -- single takes ---------------------------------------------------------------------------
    def row_of(self, take_id: int) -> int | None:
        return self._rows.get(take_id)

    def item_at(self, row: int) -> TakeItem | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def items(self) -> list[TakeItem]:
        return list(self._items)

    def refresh_take(self, take_id: int) -> None:
        """Reload one take (status, favourite, media) and show it; new takes appear at the top."""
        lib, generation = self._lib, self._generation
        run_async(lambda: describe_take(lib, lib.take(take_id)),
                  lambda item: self._take_loaded(generation, item),
                  lambda exc: None, receiver=self)  # a take deleted meanwhile simply stays away

    def _take_loaded(self, generation: int, item: TakeItem) -> None:
        if generation != self._generation:
            return
        row = self._rows.get(item.take_id)
        if row is not None:
            self._items[row] = item
            index = self.index(row)
            self.dataChanged.emit(index, index)
        elif self._shows_new(item):
            # Unfiltered (or matching) views show a new take first, as the library orders it.
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._items.insert(0, item)
            self._rows = {it.take_id: r for r, it in enumerate(self._items)}
            self.endInsertRows()

    def _shows_new(self, item: TakeItem) -> bool:
        """Whether a take that was not loaded belongs at the top of this view.

        Only newest first puts a new take at the top; in another order its place is among rows
        that may not be loaded yet, so it appears when the view reloads (search results are not live).
        """
        q = self._query
        if q.text.strip() or q.sort is not TakeSort.NEWEST:
            return False
        take = item.take
        return ((not q.favorites or take.favorite) and (not q.failed or take.status == "failed")
                and (not q.model_id or (take.recipe is not None and take.recipe.model_id == q.model_id)))

    def remove_take(self, take_id: int) -> None:
        row = self._rows.get(take_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._items[row]
        self._rows = {it.take_id: r for r, it in enumerate(self._items)}
        self.endRemoveRows()

    def update_item(self, take_id: int, **changes: Any) -> None:
        """Change a shown take in place (e.g. favourite) before the database confirms it."""
        row = self._rows.get(take_id)
        if row is None:
            return
        item = self._items[row]
        item.take = replace(item.take, **changes)
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def notify_changed(self, take_id: int) -> None:
        """Repaint one take (its thumbnail arrived)."""
        row = self._rows.get(take_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


def _tooltip(item: TakeItem) -> str:
    take = item.take
    lines = [take.title or ""]
    if take.recipe is not None:
        r = take.recipe
        seed = "random" if r.seed is None else r.seed
        lines = [r.prompt, f"{r.model_id} · {r.width}x{r.height} · {r.fps:g} fps · seed {seed}"]
    lines.append(f"Status: {take.status}")
    if take.error:
        lines.append(f"Error: {take.error}")
    return "\n".join(line for line in lines if line)
