"""The Duplicates window: groups of copies, largest first; a group's photos side by side with
what tells them apart (size, resolution, date, folder, file type), the suggested keeper marked
with the reason; the person chooses and InPhotos moves the chosen files to the system trash.

This is the one place InPhotos changes a person's files, and only after a confirmation that
says how many files and where they go. The groups are read by workers/duplicates.py.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QIcon, QImage, QPixmap, QStandardItem, QStandardItemModel
from PyQt6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from inphotos.records import DuplicateGroup, PhotoRecord, TrashReport
from inphotos.workers.duplicates import DuplicatesService, Overview, total_bytes

log = logging.getLogger(__name__)

IdRole = Qt.ItemDataRole.UserRole + 1
THUMB = 200
#: Paths listed in the confirmation before "and N more".
LISTED = 8


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def file_type(path: str) -> str:
    return os.path.splitext(path)[1].lstrip(".").upper() or "?"


def describe(photo: PhotoRecord, keeper_reason: str = "") -> str:
    """The lines under a photo: what tells the copies apart."""
    taken = datetime.fromtimestamp(photo.taken_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M") \
        if photo.taken_ms else "no date"
    lines = [
        os.path.basename(photo.path),
        f"{photo.width} × {photo.height} · {file_type(photo.path)} · {human_size(photo.size)}",
        taken + ("" if photo.taken_source == "exif" else " (file date)"),
        photo.folder if os.path.dirname(photo.path) == photo.folder else os.path.dirname(photo.path),
    ]
    if keeper_reason:
        lines.insert(0, f"★ Keep: {keeper_reason}")
    return "\n".join(lines)


class DuplicatesWindow(QDialog):
    """Groups on the left; the chosen group's photos on the right, checked ones go to the trash."""

    def __init__(self, service: DuplicatesService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setWindowTitle("Duplicates")
        self.resize(1180, 720)
        self.groups: list[DuplicateGroup] = []
        self.summary = QLabel("Looking for duplicates…", self)
        self.summary.setWordWrap(True)
        self.group_list = QListWidget(self)
        self.group_list.setMinimumWidth(240)
        self.photos_model = QStandardItemModel(self)
        self.photos_view = QListView(self)
        self.photos_view.setViewMode(QListView.ViewMode.IconMode)
        self.photos_view.setFlow(QListView.Flow.LeftToRight)
        self.photos_view.setWrapping(True)
        self.photos_view.setResizeMode(QListView.ResizeMode.Adjust)
        self.photos_view.setMovement(QListView.Movement.Static)
        self.photos_view.setIconSize(QSize(THUMB, THUMB))
        self.photos_view.setGridSize(QSize(THUMB + 60, THUMB + 150))
        self.photos_view.setWordWrap(True)
        self.photos_view.setSpacing(6)
        self.photos_view.setModel(self.photos_model)
        self.hint = QLabel("Checked photos go to the trash; the suggested keeper (★) is left "
                           "unchecked. Nothing changes until you press Move to Trash.", self)
        self.hint.setWordWrap(True)
        self.keep_all_button = QPushButton("Keep all", self)
        self.keep_all_button.setToolTip("Uncheck every photo of this group")
        self.trash_button = QPushButton("Move to Trash…", self)
        self.close_button = QPushButton("Close", self)

        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.photos_view, 1)
        column.addWidget(self.hint)
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_all_button)
        buttons.addStretch(1)
        buttons.addWidget(self.trash_button)
        buttons.addWidget(self.close_button)
        column.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.group_list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([280, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)

        self.group_list.currentRowChanged.connect(self._show_group)
        self.photos_model.itemChanged.connect(lambda _item: self._update_trash_button())
        self.keep_all_button.clicked.connect(self._keep_all)
        self.trash_button.clicked.connect(self.confirm_trash)
        self.close_button.clicked.connect(self.close)
        service.groups_ready.connect(self.set_groups)
        service.failed.connect(self.summary.setText)
        service.thumbs.thumbnail_ready.connect(self._on_thumbnail)
        service.trashed.connect(self._on_trashed)
        service.trash_failed.connect(self._on_trash_failed)
        self._update_trash_button()

    # ------------------------------------------------------------ content

    def refresh(self) -> None:
        self.service.load_groups()

    def set_groups(self, groups: list[DuplicateGroup], overview: Overview, pending: bool) -> None:
        """Show `groups` (largest first); the group shown before stays chosen if it is still there."""
        current = self.current_group()
        keep = current.keeper.id if current is not None else None
        self.groups = groups
        self.group_list.blockSignals(True)
        self.group_list.clear()
        row = 0
        for i, g in enumerate(groups):
            kind = "exact copies" if g.exact else "near-duplicates"
            item = QListWidgetItem(f"{len(g.photos)} {kind}\n{os.path.basename(g.keeper.path)}")
            item.setToolTip(g.keeper.path)
            self.group_list.addItem(item)
            if keep is not None and any(p.id == keep for p in g.photos):
                row = i
        self.group_list.blockSignals(False)
        if groups:
            text = (f"{overview.groups:,} groups of copies · {overview.extra_photos:,} photos "
                    "beside the suggested keepers")
            if overview.groups > len(groups):
                text += (f" · the {len(groups):,} largest groups are listed "
                         f"({human_size(total_bytes(groups))} to free)")
            else:
                text += f" ({human_size(total_bytes(groups))})"
        else:
            text = "No duplicates found."
        if pending:
            text += " Photos indexed before duplicates were kept are still being compared…"
        self.summary.setText(text)
        if groups:
            self.group_list.setCurrentRow(row)
            self._show_group(row)
        else:
            self.photos_model.clear()
            self._update_trash_button()

    def current_group(self) -> DuplicateGroup | None:
        row = self.group_list.currentRow()
        return self.groups[row] if 0 <= row < len(self.groups) else None

    def _show_group(self, row: int) -> None:
        self.photos_model.clear()
        if not 0 <= row < len(self.groups):
            return
        group = self.groups[row]
        for i, photo in enumerate(group.photos):
            item = QStandardItem(describe(photo, group.keeper_reason if i == 0 else ""))
            item.setData(photo.id, IdRole)
            item.setToolTip(photo.path)
            item.setEditable(False)
            item.setCheckable(True)
            item.setCheckState(Qt.CheckState.Unchecked if i == 0 else Qt.CheckState.Checked)
            self.photos_model.appendRow(item)
            self.service.thumbs.request(photo)
        self._update_trash_button()

    def _on_thumbnail(self, photo_id: int, image: QImage) -> None:
        for r in range(self.photos_model.rowCount()):
            item = self.photos_model.item(r)
            if item is not None and item.data(IdRole) == photo_id:
                item.setIcon(QIcon(QPixmap.fromImage(image)))

    def checked(self) -> list[PhotoRecord]:
        """The photos of the group shown that are checked to go to the trash."""
        group = self.current_group()
        if group is None:
            return []
        by_id = {p.id: p for p in group.photos}
        out = []
        for r in range(self.photos_model.rowCount()):
            item = self.photos_model.item(r)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(by_id[item.data(IdRole)])
        return out

    def _keep_all(self) -> None:
        for r in range(self.photos_model.rowCount()):
            item = self.photos_model.item(r)
            if item is not None:
                item.setCheckState(Qt.CheckState.Unchecked)

    def _update_trash_button(self) -> None:
        n = len(self.checked())
        self.trash_button.setEnabled(n > 0)
        self.trash_button.setText(f"Move {n} to Trash…" if n else "Move to Trash…")

    # ------------------------------------------------------------ the trash

    def confirm_trash(self) -> None:
        photos = self.checked()
        group = self.current_group()
        if not photos or group is None:
            return
        if QMessageBox.question(self, "Move to Trash", confirmation_text(photos, group)) \
                != QMessageBox.StandardButton.Yes:
            return
        self.trash_button.setEnabled(False)
        self.summary.setText(f"Moving {len(photos)} files to the trash…")
        self.service.trash([p.id for p in photos])

    def _on_trashed(self, report: TrashReport) -> None:
        if report.failed:
            QMessageBox.warning(self, "Move to Trash", failure_text(report))
        self.refresh()

    def _on_trash_failed(self, text: str) -> None:
        QMessageBox.warning(self, "Move to Trash", text)
        self.refresh()


def confirmation_text(photos: Sequence[PhotoRecord], group: DuplicateGroup) -> str:
    n = len(photos)
    listed = "\n".join(p.path for p in photos[:LISTED])
    if n > LISTED:
        listed += f"\n… and {n - LISTED} more"
    text = (f"Move {n} file{'s' if n != 1 else ''} ({human_size(sum(p.size for p in photos))}) "
            "to the system trash?\n\nThey go to your desktop's Trash (Recycle Bin on Windows), "
            "where you can restore them; InPhotos takes them out of its index.\n\n" + listed)
    if n == len(group.photos):
        text += "\n\nThese are all the copies in this group: none of them stays."
    return text


def failure_text(report: TrashReport) -> str:
    lines = "\n".join(f"{path}: {why}" for path, why in report.failed[:LISTED])
    if len(report.failed) > LISTED:
        lines += f"\n… and {len(report.failed) - LISTED} more"
    done = f"{len(report.trashed)} moved to the trash. " if report.trashed else ""
    return (f"{done}{len(report.failed)} could not be moved to the trash and were left where "
            f"they are:\n\n{lines}")
