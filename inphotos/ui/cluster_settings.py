"""Settings → Indexing: index through a Ray cluster (the address, how workers read photos).

The dialog shows it; the settings keep it (config.Settings.cluster_*); the library's indexing
goes through it from the next run on (core/cluster.py). Searching stays on this computer.
"""

from __future__ import annotations

import logging

from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from inphotos.config import Settings
from inphotos.records import parse_path_map

log = logging.getLogger(__name__)

READ_CHOICES = (
    ("auto", "Decide: shared when the workers can read the photos"),
    ("shared", "The workers read the same folders (shared)"),
    ("send", "This computer sends the photos (send)"),
)


class ClusterSettingsBox:
    """"Use a Ray cluster", its address, the read mode and the path map: widgets owned by
    `parent` (the dialog), laid out in its form by `add_to` so their labels line up."""

    def __init__(self, settings: Settings, parent: QWidget) -> None:
        self.enabled_check = QCheckBox("Use a Ray cluster", parent)
        self.address_edit = QLineEdit(settings.cluster_address, parent)
        self.address_edit.setPlaceholderText("HOST:6379, ray://HOST:10001, or auto ($RAY_ADDRESS)")
        self.read_combo = QComboBox(parent)
        for value, text in READ_CHOICES:
            self.read_combo.addItem(text, value)
        self.read_combo.setCurrentIndex(max(0, self.read_combo.findData(settings.cluster_read)))
        self.path_map_edit = QLineEdit(settings.cluster_path_map, parent)
        self.path_map_edit.setPlaceholderText("/home/me/Photos=/mnt/photos; …")
        note = QLabel("The cluster decodes and embeds; this computer scans, keeps the index and "
                      "searches. Needs Ray here and on every worker: "
                      "pip install 'inphotos[cluster]'.", parent)
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(placeholder-text);")
        self.note = note
        self.enabled_check.toggled.connect(self._on_toggled)
        self.enabled_check.setChecked(settings.cluster_enabled)
        self._on_toggled(settings.cluster_enabled)

    def add_to(self, form: QFormLayout) -> None:
        form.addRow(self.enabled_check)
        form.addRow("Address", self.address_edit)
        form.addRow("Photos", self.read_combo)
        form.addRow("Path map", self.path_map_edit)
        form.addRow("", self.note)

    def _on_toggled(self, on: bool) -> None:
        for w in (self.address_edit, self.read_combo, self.path_map_edit):
            w.setEnabled(on)

    def problem(self) -> str | None:
        """What stops these settings from being used, in words (None: they are fine)."""
        if not self.enabled_check.isChecked():
            return None
        if not self.address_edit.text().strip():
            return "Enter the Ray cluster's address (HOST:PORT, ray://HOST:PORT or auto)."
        try:
            parse_path_map([p for p in self.path_map_edit.text().split(";") if p.strip()])
        except ValueError as e:
            return f"Path map: {e}; separate several with ';'."
        return None

    def values(self) -> dict[str, object]:
        """The cluster_* fields of Settings."""
        return {
            "cluster_enabled": self.enabled_check.isChecked(),
            "cluster_address": self.address_edit.text().strip(),
            "cluster_read": str(self.read_combo.currentData()),
            "cluster_path_map": self.path_map_edit.text().strip(),
        }
