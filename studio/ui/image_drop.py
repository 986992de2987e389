"""A drop zone for the image that starts an image-to-video take (drop a file or click to browse)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImageReader, QMouseEvent, QPaintEvent, QPixmap
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QToolButton

from studio.ui.chrome import button_face, draw_panel
from studio.ui.theme import ACCENT, DROP_BORDER, DROP_ZONE, Tone, icon, set_flag, tone

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp"})


def _image_path(event: QDragEnterEvent | QDropEvent) -> Path | None:
    urls = event.mimeData().urls()
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = Path(urls[0].toLocalFile())
    return path if path.suffix.lower() in IMAGE_SUFFIXES else None


class ImageDropZone(QFrame):
    """Holds one conditioning image path (or none); `changed(path_or_None)` when it changes."""

    changed = Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent, objectName="dropZone")
        self.setAcceptDrops(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._path: Path | None = None
        self._thumb = QLabel()
        self._thumb.setFixedSize(56, 40)
        self._thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._text = tone(QLabel("Drop an image here to animate it (or click to choose)"), Tone.HINT)
        self._text.setWordWrap(True)
        self._clear = button_face(QToolButton(icon=icon("cancel"), toolTip="Remove the image"))
        self._clear.clicked.connect(lambda: self.set_path(None))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self._thumb)
        layout.addWidget(self._text, 1)
        layout.addWidget(self._clear)
        self._refresh()

    @property
    def path(self) -> Path | None:
        return self._path

    def set_path(self, path: Path | None) -> None:
        self._path = Path(path) if path else None
        self._refresh()
        self.changed.emit(self._path)

    def _refresh(self) -> None:
        self._clear.setVisible(self._path is not None)
        if self._path is None:
            self._thumb.clear()
            self._text.setText("Drop an image here to animate it (or click to choose)")
            return
        # A small image read scaled by the decoder, so a huge photo costs little.
        reader = QImageReader(str(self._path))
        reader.setScaledSize(reader.size().scaled(56, 40, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
        if image.isNull():
            self._thumb.setText("?")
        else:
            self._thumb.setPixmap(QPixmap.fromImage(image))
        self._text.setText(f"Image-to-video from {self._path.name}")

    def paintEvent(self, event: QPaintEvent) -> None:
        """A dashed outline, blue while an image is dragged over."""
        draw_panel(self, border=ACCENT if self.property("hover") else DROP_BORDER, fill=DROP_ZONE, dashed=True)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Choose an image", "",
                                              "Images (*.png *.jpg *.jpeg *.webp *.bmp)")
        if name:
            self.set_path(Path(name))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _image_path(event) is not None:
            event.acceptProposedAction()
            set_flag(self, "hover", True)

    def dragLeaveEvent(self, event) -> None:
        set_flag(self, "hover", False)

    def dropEvent(self, event: QDropEvent) -> None:
        set_flag(self, "hover", False)
        path = _image_path(event)
        if path is not None:
            event.acceptProposedAction()
            self.set_path(path)
