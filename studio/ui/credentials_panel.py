"""The Content Credentials panel: who signed a file, when, whether AI made it, its recipe, its parents.

`show_file(path)` reads the file on a worker thread; `show_report(report)` shows a report you
already have. A tampered file is flagged plainly, in red, with the check that failed.
`remix_requested(Recipe)` is emitted when the user asks to remix the recipe shown.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFormLayout, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from studio.ui.tasks import run_async

if TYPE_CHECKING:
    from studio.provenance.reader import CredentialsReport, IngredientReport

# Banner text and colours per validation state (background, text).
BANNERS = {
    "valid": ("Content Credentials verified", "#1f6f3f", "#ffffff"),
    "untrusted signer": ("Intact, but signed by someone this computer does not trust", "#8a6d1a", "#ffffff"),
    "tampered": ("TAMPERED: this file was changed after it was signed", "#b00020", "#ffffff"),
    "invalid": ("INVALID: the signing certificate failed its checks", "#b00020", "#ffffff"),
    "none": ("No Content Credentials: nothing says where this file came from", "#555555", "#ffffff"),
}


class CredentialsPanel(QWidget):
    """Shows one file's Content Credentials (a `CredentialsReport`)."""

    remix_requested = Signal(object)  # studio.recipe.Recipe
    report_shown = Signal(object)  # the CredentialsReport now on screen (None when cleared)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: CredentialsReport | None = None
        self._requested: Path | None = None
        self.banner = QLabel(objectName="credentialsBanner", wordWrap=True)
        self.banner.setMargin(6)
        self.thumbnail = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.issuer = QLabel(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signed = QLabel(wordWrap=True)
        self.ai = QLabel()
        self.generator = QLabel(wordWrap=True)
        self.recipe = QLabel(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ingredients = QTreeWidget()
        self.ingredients.setHeaderLabels(["Ingredient", "Relationship", "Credentials", "Recipe"])
        self.ingredients.setRootIsDecorated(True)
        self.remix_button = QPushButton("Remix this recipe")
        self.remix_button.setToolTip("Fill the prompt panel with this file's recipe")
        self.remix_button.clicked.connect(self._remix)

        form = QFormLayout()
        form.addRow("Signed by", self.issuer)
        form.addRow("Signed", self.signed)
        form.addRow("AI-generated", self.ai)
        form.addRow("Made with", self.generator)
        form.addRow("Recipe", self.recipe)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.thumbnail)
        layout.addLayout(form)
        layout.addWidget(QLabel("Ingredients (what this file was made from)"))
        layout.addWidget(self.ingredients, 1)
        layout.addWidget(self.remix_button)
        self.clear()

    def show_file(self, path: Path | str) -> None:
        """Read `path`'s credentials on a worker thread, then show them."""
        from studio.provenance.reader import read_credentials, read_thumbnail

        path = Path(path)
        self._requested = path
        self._set_banner("Reading Content Credentials…", "#333333", "#ffffff")

        def read() -> tuple[CredentialsReport, bytes | None]:
            report = read_credentials(path)
            thumb = report.manifest.thumbnail if report.manifest else None
            return report, read_thumbnail(path, thumb) if thumb else None

        def done(result: tuple[CredentialsReport, bytes | None]) -> None:
            if self._requested == path:  # a newer request wins
                self.show_report(*result)

        run_async(read, done, lambda exc: self._show_error(path, exc) if self._requested == path else None,
                  receiver=self)

    def show_report(self, report: CredentialsReport | None, thumbnail: bytes | None = None) -> None:
        """Show a report (None clears the panel)."""
        self.report = report
        if report is None:
            self.clear()
            return
        text, background, foreground = BANNERS.get(report.state, (report.state, "#555555", "#ffffff"))
        if report.failing_check and report.state in ("tampered", "invalid"):
            text += f" (failed check: {report.failing_check})"
        self._set_banner(f"{report.path.name}: {text}", background, foreground)
        manifest = report.manifest
        self.issuer.setText(manifest.issuer or "unknown" if manifest else "—")
        self.signed.setText(f"{manifest.signed_time} ({manifest.time_source})" if manifest and manifest.signed_time else "—")
        self.ai.setText(("Yes" if manifest.ai_generated else "No") if manifest else "—")
        self.generator.setText(manifest.claim_generator or "—" if manifest else "—")
        self.recipe.setText(report.recipe.describe() if report.recipe else "—")
        self.remix_button.setEnabled(report.recipe is not None)
        self._show_thumbnail(thumbnail)
        self.ingredients.clear()
        for ingredient in report.ingredients:
            self.ingredients.addTopLevelItem(_ingredient_item(ingredient))
        self.ingredients.expandAll()
        for column in range(3):
            self.ingredients.resizeColumnToContents(column)
        self.report_shown.emit(report)

    def clear(self) -> None:
        self.report = None
        self._set_banner("Select an imported file or drop one here to see its Content Credentials.",
                         "#333333", "#ffffff")
        for label in (self.issuer, self.signed, self.ai, self.generator, self.recipe):
            label.setText("—")
        self.thumbnail.clear()
        self.thumbnail.hide()
        self.ingredients.clear()
        self.remix_button.setEnabled(False)

    def _show_error(self, path: Path, exc: Exception) -> None:
        self.clear()
        self._set_banner(f"Could not read the credentials of {path.name}: {exc}", BANNERS["tampered"][1], "#ffffff")

    def _show_thumbnail(self, data: bytes | None) -> None:
        pixmap = QPixmap()
        if data and pixmap.loadFromData(data):
            self.thumbnail.setPixmap(pixmap.scaledToHeight(120, Qt.TransformationMode.SmoothTransformation))
            self.thumbnail.show()
        else:
            self.thumbnail.clear()
            self.thumbnail.hide()

    def _set_banner(self, text: str, background: str, foreground: str) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(f"QLabel#credentialsBanner {{ background: {background}; color: {foreground}; "
                                  f"font-weight: bold; border-radius: 4px; }}")

    def _remix(self) -> None:
        if self.report is not None and self.report.recipe is not None:
            self.remix_requested.emit(self.report.recipe)


def _ingredient_item(ingredient: IngredientReport) -> QTreeWidgetItem:
    state = ingredient.validation.state
    if ingredient.validation.failing_check and state in ("tampered", "invalid"):
        state += f": {ingredient.validation.failing_check}"
    recipe = ingredient.recipe
    item = QTreeWidgetItem([ingredient.title, ingredient.relationship, state, recipe.prompt if recipe else ""])
    if ingredient.validation.state in ("tampered", "invalid"):
        item.setForeground(2, Qt.GlobalColor.red)
    item.setToolTip(3, html.escape(recipe.describe()) if recipe else "no Kinora recipe")
    for child in ingredient.ingredients:
        item.addChild(_ingredient_item(child))
    return item
