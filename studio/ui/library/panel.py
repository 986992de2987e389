"""The Library dock's widget: search, filters, sort, the lazy grid and the take actions."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from studio.library.takes import DeletedTake
from studio.ui import keymap
from studio.ui.library.delegate import TakeDelegate
from studio.ui.library.model import ItemRole, TakeListModel
from studio.ui.library.query import DATE_FILTERS, SORTS, LibraryQuery, TakeItem
from studio.ui.library.thumbnails import ThumbnailLoader
from studio.ui.tasks import run_async
from studio.ui.theme import Tone, icon, tone

if TYPE_CHECKING:
    from studio.library import Library


ALL_MODELS = "All models"


def delete_question(item: TakeItem, usage: DeletedTake) -> str:
    """The confirmation's text: what the delete will really do (file, projects)."""
    title = item.take.display_title[:80]
    lines = [f"Delete “{title}” and its file from the library?" if usage.file_deleted
             else f"Delete “{title}” from the library? Its file stays ({usage.file_kept_reason or 'it has none'})."]
    if usage.projects:
        names = ", ".join(f"“{n}”" for n in usage.projects[:5]) + (" …" if len(usage.projects) > 5 else "")
        lines.append(f"It is used in {len(usage.projects)} project(s): {names}. Its clips there will go offline"
                     + (" and must be removed or replaced before export." if usage.file_deleted else "."))
    lines.append("This cannot be undone.")
    return "\n".join(lines)


def ask_delete(parent: QWidget, item: TakeItem, usage: DeletedTake) -> bool:
    """Confirm a delete (the library cannot undo it), saying what it will do."""
    answer = QMessageBox.question(parent, "Delete take", delete_question(item, usage),
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class _TakeGrid(QListView):
    """The grid of takes, telling `hover` where the mouse is over it (None when it leaves).

    Its viewport's events are read here rather than by an event filter on `viewport()`: the first QWidget that
    Qt made reaching Python makes PySide build the Python classes of every kind of widget it might be (~4 ms of
    the launch)."""

    def __init__(self, hover: Callable[[QPoint | None], None]) -> None:
        super().__init__()
        self._hover = hover

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
            self._hover(event.position().toPoint())
        elif event.type() == QEvent.Type.Leave:
            self._hover(None)
        return super().viewportEvent(event)


class LibraryPanel(QWidget):
    """Everything the library shows; emits what the rest of the window should do."""

    play_requested = Signal(object)  # TakeItem
    remix_requested = Signal(object)  # TakeItem
    current_changed = Signal(object)  # TakeItem | None
    message = Signal(str, bool)  # text, is_error
    take_deleted = Signal(object)  # DeletedTake: the window detaches the open timeline's clips

    def __init__(self, lib: Library, model_ids: list[str] | None = None, parent: QWidget | None = None,
                 confirm_delete: Callable[[QWidget, TakeItem, DeletedTake], bool] = ask_delete) -> None:
        super().__init__(parent)
        self._lib = lib
        self._confirm_delete = confirm_delete
        # take id -> the open project's name when its timeline (as on screen) shows the take; set by the window.
        self.open_project_using: Callable[[int], str | None] = lambda take_id: None
        self.thumbnails = ThumbnailLoader(lib.cache_dir, self)
        self.model = TakeListModel(lib, self)

        self.search = QLineEdit(placeholderText="Search prompts…")
        # The clear button shows only over text: made with the first text (its icon took ~4 ms of the launch).
        self.search.textChanged.connect(lambda text: self.search.setClearButtonEnabled(True) if text else None)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.favorites = QCheckBox("Favourites")
        self.failed = QCheckBox("Failed")
        self.model_filter = QComboBox()
        self.date_filter = QComboBox()
        self.date_filter.addItems(list(DATE_FILTERS))
        self.date_filter.setToolTip("Show takes made in this period")
        self.model_filter.setToolTip("Show takes made with this model")
        self.sort_box = QComboBox()
        self.sort_box.addItems(list(SORTS))
        self.sort_box.setToolTip("Order of the takes")
        self.set_model_ids(model_ids or [])
        self.count_label = tone(QLabel(), Tone.HINT)
        self._total: int | None = None

        self.view = _TakeGrid(self._hover)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)  # no per-row size queries: the key to 100k-row scrolling
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setBatchSize(200)
        self.view.setSpacing(2)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setMouseTracking(True)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setModel(self.model)
        self.delegate = TakeDelegate(self.thumbnails, self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        for widget in (self.favorites, self.failed, self.model_filter, self.date_filter, self.sort_box):
            filters.addWidget(widget)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)

        self._search_timer = QTimer(self, singleShot=True, interval=250)  # search as you type, not per key
        self._search_timer.timeout.connect(self._apply_query)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        for box in (self.favorites, self.failed):
            box.toggled.connect(self._apply_query)
        for combo in (self.model_filter, self.date_filter, self.sort_box):
            combo.currentIndexChanged.connect(self._apply_query)
        self.thumbnails.ready.connect(self.model.notify_changed)
        self.delegate.favorite_clicked.connect(self.set_favorite)
        self.view.doubleClicked.connect(self._double_clicked)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.model.rowsInserted.connect(self._update_count)
        self.model.rowsRemoved.connect(self._update_count)
        self.model.modelReset.connect(self._update_count)
        self.model.load_failed.connect(lambda text: self.message.emit(f"Library: {text}", True))

    def set_model_ids(self, model_ids: list[str]) -> None:
        """The models the model filter offers (the registry's, read off the GUI thread)."""
        current = self.model_filter.currentText()
        self.model_filter.blockSignals(True)
        self.model_filter.clear()
        self.model_filter.addItem(ALL_MODELS)
        self.model_filter.addItems(model_ids)
        self.model_filter.setCurrentText(current if current in model_ids else ALL_MODELS)
        self.model_filter.blockSignals(False)

    def start(self) -> None:
        """Load the first page (call once the window is up)."""
        self.model.reload()
        self._count_total()

    # -- query ----------------------------------------------------------------------------------
    def current_query(self) -> LibraryQuery:
        model = self.model_filter.currentText()
        return LibraryQuery(text=self.search.text(), favorites=self.favorites.isChecked(),
                            failed=self.failed.isChecked(), model_id=None if model == ALL_MODELS else model,
                            max_age_days=DATE_FILTERS[self.date_filter.currentText()],
                            sort=SORTS[self.sort_box.currentText()])

    def _apply_query(self) -> None:
        query = self.current_query()
        if query != self.model.query:
            self.model.set_query(query)
            self._count_total()

    def _count_total(self) -> None:
        """How many takes the view holds in all (the grid only loads what is scrolled to)."""
        self._total = None
        query, lib = self.model.query, self._lib
        if query.text.strip() or query.max_age_days is not None:
            return  # the library counts by status, favourite and model only
        run_async(lambda: lib.count_takes(status="failed" if query.failed else None, favorites=query.favorites,
                                          model_id=query.model_id),
                  lambda total: self._total_counted(query, total), lambda exc: None, receiver=self)

    def _total_counted(self, query: LibraryQuery, total: int) -> None:
        if query == self.model.query:
            self._total = total
            self._update_count()

    def _update_count(self, *_args: object) -> None:
        rows = self.model.rowCount()
        if self._total is not None and self._total > rows:
            self.count_label.setText(f"{rows:,} of {self._total:,} takes")
        else:
            self.count_label.setText(f"{rows:,}{'+' if self.model.canFetchMore() else ''} takes")

    # -- selection and actions ------------------------------------------------------------------
    def selected_items(self) -> list[TakeItem]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedIndexes()})
        return [item for item in (self.model.item_at(r) for r in rows) if item is not None]

    def current_item(self) -> TakeItem | None:
        index = self.view.currentIndex()
        return index.data(ItemRole) if index.isValid() else None

    def select_take(self, take_id: int) -> bool:
        row = self.model.row_of(take_id)
        if row is None:
            return False
        self.view.setCurrentIndex(self.model.index(row))
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_changed.emit(current.data(ItemRole) if current.isValid() else None)

    def _double_clicked(self, index: QModelIndex) -> None:
        item = index.data(ItemRole)
        if item is not None:
            self.play_requested.emit(item)

    def set_favorite(self, take_id: int, favorite: bool) -> None:
        self.model.update_item(take_id, favorite=favorite)  # shown at once, written in the background
        run_async(lambda: self._lib.set_favorite(take_id, favorite), None,
                  lambda exc: (self.message.emit(f"Could not change the favourite: {exc}", True),
                               self.model.refresh_take(take_id)), receiver=self)

    def toggle_favorite(self) -> None:
        for item in self.selected_items():
            self.set_favorite(item.take_id, not item.take.favorite)

    def reveal_file(self, item: TakeItem | None = None) -> None:
        item = item or self.current_item()
        if item is None or item.media_path is None:
            self.message.emit("This take has no file yet.", True)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(item.media_path.parent)))

    def delete_selected(self) -> None:
        """Ask (naming the projects that use each take and whether its file goes), then delete.

        The open project counts by what is on screen (`open_project_using`), saved or not.
        """
        for item in self.selected_items():
            take_id = item.take_id
            on_screen = self.open_project_using(take_id)

            def usage(take_id: int = take_id, on_screen: str | None = on_screen) -> DeletedTake:
                found = self._lib.take_usage(take_id)
                if on_screen is None or on_screen in found.projects:
                    return found
                return dataclasses.replace(found, projects=(on_screen, *found.projects))

            run_async(usage, lambda report, item=item: self._confirmed_delete(item, report),
                      lambda exc: self.message.emit(f"Could not delete: {exc}", True), receiver=self)

    def _confirmed_delete(self, item: TakeItem, usage: DeletedTake) -> None:
        if not self._confirm_delete(self, item, usage):
            return
        take_id = item.take_id

        def deleted(report: DeletedTake) -> None:
            self.model.remove_take(take_id)
            self.thumbnails.forget(take_id)
            where = f"; its clips in {', '.join(report.projects)} are offline" if report.projects else ""
            kept = "" if report.file_deleted else f" (its file stays: {report.file_kept_reason})"
            self.message.emit(f"Deleted take {take_id}{kept}{where}.", False)
            self.take_deleted.emit(report)

        run_async(lambda: self._lib.delete_take(take_id), deleted,
                  lambda exc: self.message.emit(f"Could not delete: {exc}", True), receiver=self)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        item: TakeItem | None = index.data(ItemRole) if index.isValid() else None
        if item is None:
            return
        menu = QMenu(self)
        remix = QAction(icon("remix"), "Remix…", menu)
        remix.setEnabled(item.take.recipe is not None or item.media_path is not None)
        remix.triggered.connect(lambda: self.remix_requested.emit(item))
        play = QAction(icon("play"), keymap.spec("library.play").text.replace("&", ""), menu)
        play.setEnabled(item.media_path is not None)
        play.triggered.connect(lambda: self.play_requested.emit(item))
        fav = QAction(icon("star-filled" if item.take.favorite else "star"),
                      "Remove from Favourites" if item.take.favorite else "Add to Favourites", menu)
        fav.triggered.connect(lambda: self.set_favorite(item.take_id, not item.take.favorite))
        reveal = QAction(icon("folder"), "Reveal File", menu)
        reveal.setEnabled(item.media_path is not None)
        reveal.triggered.connect(lambda: self.reveal_file(item))
        delete = QAction(icon("delete"), "Delete…", menu)
        delete.triggered.connect(self.delete_selected)
        for action in (play, remix, fav, reveal):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(delete)
        menu.exec(self.view.viewport().mapToGlobal(pos))

    # -- hover filmstrip ------------------------------------------------------------------------
    def _hover(self, pos: QPoint | None) -> None:
        index = self.view.indexAt(pos) if pos is not None else QModelIndex()
        old_row = self.delegate.hover_row
        self.delegate.hover_row = index.row() if index.isValid() else -1
        if index.isValid():
            rect = self.view.visualRect(index)
            self.delegate.hover_fraction = min(0.999, max(0.0, (pos.x() - rect.left()) / max(1, rect.width())))
            self.view.viewport().update(rect)
        if old_row != self.delegate.hover_row and old_row >= 0:
            self.view.viewport().update(self.view.visualRect(self.model.index(old_row)))
