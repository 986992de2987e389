"""Settings > Engine: generate on this computer or on a Ray cluster (address, namespace, shared storage).

The choice lives in the studio's ini file and takes effect when the studio starts its engine.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine import EngineKind, EngineSettings
from studio.ui.settings import studio_settings
from studio.ui.theme import Tone, tone

_KEYS = ("engine/kind", "engine/address", "engine/namespace", "engine/storage")


def read_engine_settings() -> EngineSettings:
    """The saved choice ("This computer" when nothing, or something unknown, is saved)."""
    settings = studio_settings()
    kind, address, namespace, storage = (str(settings.value(key) or "") for key in _KEYS)
    if kind != EngineKind.RAY:
        return EngineSettings()
    return EngineSettings.ray(address.strip(), namespace.strip() or "kinora", storage.strip())


def write_engine_settings(choice: EngineSettings) -> None:
    settings = studio_settings()
    for key, value in zip(_KEYS, (str(choice.kind), choice.address, choice.namespace, choice.storage)):
        settings.setValue(key, value)
    settings.sync()


class EngineSettingsDialog(QDialog):
    """Two choices; the cluster's fields are editable only when "Ray cluster" is picked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Engine")
        current = read_engine_settings()
        self.local = QRadioButton("This computer")
        self.cluster = QRadioButton("Ray cluster")
        group = QButtonGroup(self)
        group.addButton(self.local)
        group.addButton(self.cluster)
        self.address = QLineEdit(current.address, placeholderText="HOST:PORT of the head, e.g. 10.0.0.5:6379")
        self.namespace = QLineEdit(current.namespace)
        self.storage = QLineEdit(current.storage, placeholderText="optional: a folder the workers share with you")
        form = QFormLayout()
        form.addRow("Address", self.address)
        form.addRow("Namespace", self.namespace)
        form.addRow("Storage", self.storage)
        note = tone(QLabel("The library, the queue and Content Credentials stay on this computer; the cluster only "
                           "generates. A change takes effect the next time Kinora Studio starts."), Tone.HINT)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.local)
        layout.addWidget(self.cluster)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.cluster.toggled.connect(self._enable_fields)
        (self.cluster if current.kind == EngineKind.RAY else self.local).setChecked(True)
        self._enable_fields(self.cluster.isChecked())

    def choice(self) -> EngineSettings:
        if not self.cluster.isChecked():
            return EngineSettings()
        return EngineSettings.ray(self.address.text().strip(), self.namespace.text().strip() or "kinora",
                                  self.storage.text().strip())

    def accept(self) -> None:
        choice = self.choice()
        if choice.kind == EngineKind.RAY and not choice.address:
            self.address.setFocus()
            self.address.setPlaceholderText("Enter the cluster's HOST:PORT first")
            return
        write_engine_settings(choice)
        super().accept()

    def _enable_fields(self, on: bool) -> None:
        for field in (self.address, self.namespace, self.storage):
            field.setEnabled(on)
