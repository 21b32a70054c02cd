"""Small dialogs: settings, skipped files, about."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inphotos import APP_NAME, __version__
from inphotos.config import Settings
from inphotos.paths import AppPaths
from inphotos.ui.cluster_settings import ClusterSettingsBox
from inphotos.workers.catalog import RECOMMENDED, model_spec_problem

CUSTOM = "__custom__"


class SettingsDialog(QDialog):
    """Model, device, thumbnail size, and the speed knobs for those who want them."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self._settings = settings
        self.model_combo = QComboBox(self)
        for r in RECOMMENDED:
            self.model_combo.addItem(f"{r.title} — {r.spec}", r.spec)
        self.model_combo.addItem("Custom model…", CUSTOM)
        self.model_note = QLabel(self)
        self.model_note.setWordWrap(True)
        self.model_note.setStyleSheet("color: palette(placeholder-text);")
        self.model_note.linkActivated.connect(self._show_details)
        self._details_shown = False
        self.custom_edit = QLineEdit(self)
        self.custom_edit.setPlaceholderText("ARCH:PRETRAINED, hf-hub:ORG/REPO or local-dir:PATH")
        self.folder_button = QPushButton("Use a model folder…", self)
        self.folder_button.clicked.connect(self._choose_folder)
        custom_row = QHBoxLayout()
        custom_row.addWidget(self.custom_edit, 1)
        custom_row.addWidget(self.folder_button)
        self.device_combo = QComboBox(self)
        for d in ("auto", "cpu", "cuda", "mps"):
            self.device_combo.addItem(d, d)
        self.precision_combo = QComboBox(self)
        for p in ("auto", "fp32", "fp16", "bf16"):
            self.precision_combo.addItem(p, p)
        self.thumb_spin = QSpinBox(self)
        self.thumb_spin.setRange(80, 320)
        self.thumb_spin.setSingleStep(20)
        self.thumb_spin.setSuffix(" px")
        self.batch_spin = QSpinBox(self)
        self.batch_spin.setRange(0, 512)
        self.batch_spin.setSpecialValueText("automatic")
        self.workers_spin = QSpinBox(self)
        self.workers_spin.setRange(0, 64)
        self.workers_spin.setSpecialValueText("automatic")
        self.cluster_box = ClusterSettingsBox(settings, self)
        self.videos_check = QCheckBox("Index videos too (a few frames of each)", self)
        self.videos_check.setToolTip("Off: videos are left out, and those already indexed are "
                                     "removed from the index (never from disk)")

        form = QFormLayout()
        form.addRow("Model", self.model_combo)
        form.addRow("", self.model_note)
        form.addRow("", custom_row)
        form.addRow("Device", self.device_combo)
        form.addRow("Thumbnail size", self.thumb_spin)
        form.addRow("Videos", self.videos_check)
        form.addRow(QLabel("<b>Advanced</b>"))
        form.addRow("Precision", self.precision_combo)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Decode workers", self.workers_spin)
        form.addRow(QLabel("<b>Indexing</b>"))
        self.cluster_box.add_to(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(
            "Changing the model re-indexes your photos into that model's own index; "
            "the current one keeps working until the new one is complete.", self,
        ))
        layout.addWidget(buttons)
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        self._load(settings)

    def _load(self, s: Settings) -> None:
        i = self.model_combo.findData(s.model)
        if i < 0:
            i = self.model_combo.findData(CUSTOM)
            self.custom_edit.setText(s.model)
        self.model_combo.setCurrentIndex(i)
        self._on_model_changed()
        self.device_combo.setCurrentIndex(max(0, self.device_combo.findData(s.device)))
        self.precision_combo.setCurrentIndex(max(0, self.precision_combo.findData(s.precision)))
        self.thumb_spin.setValue(s.thumbnail_size)
        self.batch_spin.setValue(s.batch_size)
        self.workers_spin.setValue(s.decode_workers)
        self.videos_check.setChecked(s.index_videos)

    def _on_model_changed(self) -> None:
        spec = self.model_combo.currentData()
        custom = spec == CUSTOM
        self.custom_edit.setEnabled(custom)
        self.folder_button.setEnabled(custom)
        chosen = next((r for r in RECOMMENDED if r.spec == spec), None)
        if chosen is None:
            self.model_note.setText("Any open_clip model; it downloads on first use.")
            return
        text = html.escape(chosen.note)
        if chosen.details and self._details_shown:
            text += f"<br><small>{html.escape(chosen.details)}</small>"
        elif chosen.details:
            text += ' <a href="details">Details</a>'
        self.model_note.setText(text)

    def _show_details(self, _link: str) -> None:
        self._details_shown = True
        self._on_model_changed()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder", str(Path.home()))
        if folder:
            self.custom_edit.setText(f"local-dir:{folder}")

    def model_spec(self) -> str:
        spec = self.model_combo.currentData()
        return self.custom_edit.text().strip() if spec == CUSTOM else str(spec)

    def accept(self) -> None:
        problem = model_spec_problem(self.model_spec()) or self.cluster_box.problem()
        if problem is not None:
            QMessageBox.warning(self, "Settings", problem)
            return
        super().accept()

    def result_settings(self) -> Settings:
        return dataclasses.replace(
            self._settings,
            model=self.model_spec(),
            device=str(self.device_combo.currentData()),
            precision=str(self.precision_combo.currentData()),
            thumbnail_size=self.thumb_spin.value(),
            batch_size=self.batch_spin.value(),
            decode_workers=self.workers_spin.value(),
            **self.cluster_box.values(),  # type: ignore[arg-type]
            index_videos=self.videos_check.isChecked(),
        )


class SkippedDialog(QDialog):
    """Files that could not be indexed, and why."""

    def __init__(self, rows: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Skipped files")
        self.resize(900, 480)
        table = QTableWidget(len(rows), 2, self)
        table.setHorizontalHeaderLabels(["File", "Reason"])
        table.verticalHeader().setVisible(False)  # type: ignore[union-attr]
        header = table.horizontalHeader()
        assert header is not None
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for r, (path, reason) in enumerate(rows):
            for c, text in enumerate((path, reason)):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                table.setItem(r, c, item)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            "These files were not indexed. InPhotos tries them again when they change.", self
        ))
        layout.addWidget(table)
        layout.addWidget(buttons)


def about_text(stats: Mapping[str, Any], model_state: str, paths: AppPaths) -> str:
    """The About box's text: the model is named once, with its state when it is not ready."""
    model = html.escape(str(stats["model"]))
    state = f" ({html.escape(model_state)})" if model_state else ""
    return (
        f"<h3>{APP_NAME} {__version__}</h3>"
        "<p>Private, fully local semantic photo search.</p>"
        f"<p>Model: {model}{state}<br>"
        f"Library: {stats['photos']:,} photos in {stats['folders']} folders<br>"
        f"Index size: {stats['database_bytes'] / 1e6:.1f} MB<br>"
        f"Data: {paths.data}<br>Logs: {paths.logs}</p>"
    )


def show_about(parent: QWidget, stats: Mapping[str, Any], model_state: str, paths: AppPaths) -> None:
    """The About box: version, the model, what is in the library and where its data lives."""
    QMessageBox.about(parent, f"About {APP_NAME}", about_text(stats, model_state, paths))
