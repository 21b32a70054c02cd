"""Paints one grid cell: the thumbnail fitted into a 4:3 box, a placeholder until it arrives,
the month on the timeline's first photo of each month, the match strength or a pin."""

from __future__ import annotations

from PyQt6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPixmap
from PyQt6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from inphotos.ui.photo_model import (
    FailedRole,
    PinnedRole,
    ScoreRole,
    SectionRole,
    VideoRole,
    strength_text,
)

PADDING = 6
#: Cells are landscape 4:3: most photos are landscape (4:3 or 3:2), so square cells left a tall
#: empty band above and below nearly every photo; a portrait photo fits in a narrower box.
CELL_ASPECT = 0.75


def cell_size(size: int) -> QSize:
    """A grid cell (padding included) for thumbnails `size` pixels wide."""
    return QSize(size + 2 * PADDING, round(size * CELL_ASPECT) + 2 * PADDING)


class ThumbnailDelegate(QStyledItemDelegate):
    """Constant-size cells; paint() does no I/O."""

    def __init__(self, size: int = 160, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.size = size
        self.show_scores = False

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return cell_size(self.size)

    def paint(
        self, painter: QPainter | None, option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if painter is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        rect: QRect = option.rect  # type: ignore[attr-defined]
        cell = rect.adjusted(PADDING, PADDING, -PADDING, -PADDING)
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)  # type: ignore[attr-defined]
        if selected:
            sel = QPainterPath()
            sel.addRoundedRect(QRectF(rect.adjusted(2, 2, -2, -2)), 8, 8)
            painter.fillPath(sel, palette.color(QPalette.ColorRole.Highlight))

        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        picture = cell  # where the thumbnail is drawn (a wide video's is narrower than its cell)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            scaled = pixmap.size().scaled(cell.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(cell.center())
            clip = QPainterPath()
            clip.addRoundedRect(QRectF(target), 4, 4)
            painter.setClipPath(clip)
            painter.drawPixmap(target, pixmap)
            painter.setClipping(False)
            picture = target
        else:
            placeholder = QPainterPath()
            placeholder.addRoundedRect(QRectF(cell), 6, 6)
            base = palette.color(QPalette.ColorRole.AlternateBase)
            painter.fillPath(placeholder, base.darker(108))
            if index.data(FailedRole):
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, "can't read\nthis photo")

        section = index.data(SectionRole)
        if section:  # the timeline: the first photo of a month carries its month
            self._badge(painter, section, QRect(cell.left() + 3, cell.top() + 3, 0, 0),
                        palette.color(QPalette.ColorRole.Highlight), top_left=True)
        score = index.data(ScoreRole)
        text = ""
        if index.data(PinnedRole):
            text = "this photo"
        elif score is not None and (self.show_scores or hovered):
            text = strength_text(score)
        if text:
            self._badge(painter, text, cell, QColor(0, 0, 0, 160))
        video = index.data(VideoRole)
        if video:  # a video: its length on its picture, bottom left (text made by the model)
            self._badge(painter, video, picture, QColor(0, 0, 0, 160), bottom_left=True)
        painter.restore()

    def _badge(self, painter: QPainter, text: str, cell: QRect, colour: QColor,
               top_left: bool = False, bottom_left: bool = False) -> None:
        """A rounded label: bottom right of `cell`, or at its top left or bottom left corner."""
        painter.save()
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        if top_left:
            font.setBold(True)
        painter.setFont(font)
        w = painter.fontMetrics().horizontalAdvance(text) + 10
        h = painter.fontMetrics().height() + 4
        if top_left:
            badge = QRect(cell.left(), cell.top(), w, h)
        elif bottom_left:
            badge = QRect(cell.left() + 3, cell.bottom() - h - 3, w, h)
        else:
            badge = QRect(cell.right() - w - 3, cell.bottom() - h - 3, w, h)
        bg = QPainterPath()
        bg.addRoundedRect(QRectF(badge), h / 2, h / 2)
        painter.fillPath(bg, colour)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
