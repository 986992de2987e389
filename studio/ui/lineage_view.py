"""The lineage view: a take's ancestors and descendants as a tree, each with its poster.

`LineageView(lib, take_id=None)`; `show_take(take_id)` loads the lineage on a worker thread. The chain of
ancestors is the trunk (oldest at the top), the shown take is in bold, and its descendants
branch below it. `take_activated(take_id)` is emitted on double-click.

The "By" column says whose clip each node is: "you" for takes made (or imported) here, and, marked in
the accent colour, the author's name for takes that came from a friend's feed (the name its signed feed
carries, studio.feed.store). A file imported by hand from someone else is not attributed: it reads "you".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from studio.feed.store import FeedStore
from studio.ui.library.thumbnails import ThumbnailLoader
from studio.ui.remix import REMIXES
from studio.ui.tasks import run_async

if TYPE_CHECKING:
    from studio.library.library import Library
    from studio.library.records import TakeRecord

POSTER_SIZE = QSize(64, 40)
REMIX_LABELS = {mode.kind: mode.label for mode in REMIXES}
OTHERS_COLOUR = QColor("#c77dff")  # another person's clip


@dataclass(frozen=True)
class LineageNode:
    """A take in the tree, with what its poster needs."""

    take: TakeRecord
    media_path: Path | None
    sha256: str | None
    author: str | None = None  # None: this library's own take; else the friend whose feed it came from


@dataclass(frozen=True)
class LineageTree:
    take_id: int
    ancestors: list[LineageNode]  # oldest first
    current: LineageNode
    descendants: list[LineageNode]  # oldest first; each names its parent by parent_take_id


def load_lineage(lib: Library, take_id: int) -> LineageTree:
    """Read a take's lineage and its media facts (worker thread)."""
    lineage = lib.lineage(take_id)
    current = lib.take(take_id)
    authors = FeedStore(lib).authors_of_takes([t.id for t in [*lineage.ancestors, current, *lineage.descendants]])

    def node(take: TakeRecord) -> LineageNode:
        if take.media_id is None:
            return LineageNode(take, None, None, authors.get(take.id))
        media = lib.media(take.media_id)
        return LineageNode(take, None if media.missing else lib.media_path(media), media.sha256, authors.get(take.id))

    return LineageTree(take_id, [node(t) for t in reversed(lineage.ancestors)], node(current),
                       [node(t) for t in lineage.descendants])


class LineageView(QWidget):
    """A take's family tree: where it came from and what was made from it."""

    take_activated = Signal(int)

    def __init__(self, lib: Library, take_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lib = lib
        self.take_id: int | None = None
        self._items: dict[int, QTreeWidgetItem] = {}
        self._nodes: dict[int, LineageNode] = {}
        self.posters = ThumbnailLoader(lib.cache_dir, parent=self, threads=1)
        self.posters.ready.connect(self._poster_ready)
        self.hint = QLabel("Select a take to see what it was made from and what was made from it.", wordWrap=True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Take", "How", "By"])
        self.tree.setIconSize(POSTER_SIZE)
        self.tree.itemDoubleClicked.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.tree, 1)
        if take_id is not None:
            self.show_take(take_id)

    def show_take(self, take_id: int) -> None:
        """Show `take_id`'s lineage (loaded off the GUI thread)."""
        self.take_id = take_id
        lib = self.lib
        run_async(lambda: load_lineage(lib, take_id), self._show_tree,
                  lambda exc: self.hint.setText(f"Could not load the lineage of take {take_id}: {exc}"), receiver=self)

    def _show_tree(self, tree: LineageTree) -> None:
        if tree.take_id != self.take_id:
            return  # the user moved on to another take meanwhile
        self.tree.clear()
        self._items.clear()
        self._nodes.clear()
        parent: QTreeWidgetItem | None = None
        for node in [*tree.ancestors, tree.current]:
            parent = self._add(node, parent)
        font = parent.font(0)
        font.setBold(True)
        parent.setFont(0, font)
        for node in tree.descendants:
            self._add(node, self._items.get(node.take.parent_take_id or -1, parent))
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        self.tree.scrollToItem(parent)
        ancestors, descendants = len(tree.ancestors), len(tree.descendants)
        self.hint.setText(f"Take {tree.take_id}: {ancestors} ancestor{'s' * (ancestors != 1)}, "
                          f"{descendants} descendant{'s' * (descendants != 1)}.")

    def _add(self, node: LineageNode, parent: QTreeWidgetItem | None) -> QTreeWidgetItem:
        take = node.take
        if take.origin == "imported":
            how = "imported"
        else:
            how = REMIX_LABELS.get(take.remix_kind or "", take.remix_kind or "generated")
        item = QTreeWidgetItem([f"#{take.id} {take.display_title}", how, node.author or "you"])
        item.setData(0, Qt.ItemDataRole.UserRole, take.id)
        item.setToolTip(0, take.recipe.prompt if take.recipe else take.display_title)
        if node.author is not None:
            item.setForeground(2, QBrush(OTHERS_COLOUR))
            font = item.font(2)
            font.setBold(True)
            item.setFont(2, font)
            item.setToolTip(2, f"{node.author}'s clip, from their signed feed")
        if parent is None:
            self.tree.addTopLevelItem(item)
        else:
            parent.addChild(item)
        self._items[take.id] = item
        self._nodes[take.id] = node
        self._set_poster(take.id)
        return item

    def _set_poster(self, take_id: int) -> None:
        node = self._nodes.get(take_id)
        item = self._items.get(take_id)
        if node is None or item is None:
            return
        image = self.posters.poster(take_id, node.media_path, node.sha256)
        if image is not None:
            pixmap = QPixmap.fromImage(image).scaled(POSTER_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                                     Qt.TransformationMode.SmoothTransformation)
            item.setIcon(0, QIcon(pixmap))

    def _poster_ready(self, take_id: int) -> None:
        self._set_poster(take_id)

    def _activated(self, item: QTreeWidgetItem) -> None:
        take_id = item.data(0, Qt.ItemDataRole.UserRole)
        if take_id is not None:
            self.take_activated.emit(int(take_id))
