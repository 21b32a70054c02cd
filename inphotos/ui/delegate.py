"""Paints one grid cell: the thumbnail filling the box the grid's justified rows give it
(ui/justified.py), a placeholder until it arrives, the match strength or a pin, and the count
of a stack of duplicates. Month headers are the grid's, painted between rows, never over a
photo."""

from __future__ import annotations

from collections import OrderedDict

from PyQt6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPixmap
from PyQt6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from inphotos.ui.photo_model import (
    BadgeRole,
    FailedRole,
    PinnedRole,
    ScoreRole,
    VideoRole,
    strength_text,
)

#: Thumbnails kept scaled to their cells: a few screens' worth.
FITTED_CACHE = 300
#: A selected photo shrinks inside a frame of the highlight colour this wide.
SELECTED_INSET = 5


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints a cell of the size the grid gives it; paint() does no I/O."""

    def __init__(self, size: int = 160, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.size = size
        self.show_scores = False
        self._fitted_cache: OrderedDict[tuple[int, int, int], QPixmap] = OrderedDict()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(self.size, round(self.size * 0.75))

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
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)  # type: ignore[attr-defined]
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)  # type: ignore[attr-defined]
        cell = rect
        if selected:
            sel = QPainterPath()
            sel.addRoundedRect(QRectF(rect), 6, 6)
            painter.fillPath(sel, palette.color(QPalette.ColorRole.Highlight))
            cell = rect.adjusted(SELECTED_INSET, SELECTED_INSET, -SELECTED_INSET, -SELECTED_INSET)

        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        picture = cell  # where the thumbnail is drawn (a wide video's is narrower than its cell)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            shown = self._fitted(pixmap, cell, painter)
            w = round(shown.width() / shown.devicePixelRatio())
            h = round(shown.height() / shown.devicePixelRatio())
            picture = QRect(cell.x() + (cell.width() - w) // 2, cell.y() + (cell.height() - h) // 2, w, h)
            painter.drawPixmap(picture.topLeft(), shown)
        else:
            placeholder = QPainterPath()
            placeholder.addRoundedRect(QRectF(cell), 6, 6)
            base = palette.color(QPalette.ColorRole.AlternateBase)
            painter.fillPath(placeholder, base.darker(108))
            if index.data(FailedRole):
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, "can't read\nthis photo")

        if focused and not selected:  # where the keyboard is
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(QRectF(rect).adjusted(1, 1, -1, -1), 4, 4)
        score = index.data(ScoreRole)
        text = ""
        if index.data(PinnedRole):
            text = "this photo"
        elif score is not None and (self.show_scores or hovered):
            text = strength_text(score)
        if text:
            self._badge(painter, text, cell, QColor(0, 0, 0, 160))
        stack = index.data(BadgeRole)
        if stack:  # a stack of duplicates: how many photos it holds, at the top right
            self._badge(painter, stack, QRect(cell.right() - 3, cell.top() + 3, 0, 0),
                        QColor(0, 0, 0, 170), top_right=True)
        video = index.data(VideoRole)
        if video:  # a video: its length on its picture, bottom left (text made by the model)
            self._badge(painter, video, picture, QColor(0, 0, 0, 160), bottom_left=True)
        painter.restore()

    def _fitted(self, pixmap: QPixmap, cell: QRect, painter: QPainter) -> QPixmap:
        """`pixmap` scaled into `cell` with rounded corners, drawn once and kept: scaling with
        a rounded clip on every paint cost ~2 ms a photo, most of a scroll's frame."""
        key = (pixmap.cacheKey(), cell.width(), cell.height())
        fitted = self._fitted_cache.get(key)
        if fitted is not None:
            self._fitted_cache.move_to_end(key)
            return fitted
        # The box has the photo's shape bar a pixel of rounding: fill it exactly. A panorama
        # (boxed narrower than it is) is fitted whole instead of cropped.
        pw, ph = pixmap.width(), pixmap.height()
        close = abs(pw * cell.height() - ph * cell.width()) <= 0.05 * ph * cell.width()
        mode = Qt.AspectRatioMode.KeepAspectRatioByExpanding if close \
            else Qt.AspectRatioMode.KeepAspectRatio
        scaled = pixmap.size().scaled(cell.size(), mode)
        size = scaled.boundedTo(cell.size()).expandedTo(QSize(1, 1))  # never a null pixmap
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        fitted = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
        fitted.setDevicePixelRatio(ratio)
        fitted.fill(Qt.GlobalColor.transparent)
        p = QPainter(fitted)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(0, 0, size.width(), size.height()), 4, 4)
        p.setClipPath(clip)
        target = QRect(0, 0, scaled.width(), scaled.height())
        target.moveCenter(QRect(0, 0, size.width(), size.height()).center())
        p.drawPixmap(target, pixmap)
        p.end()
        self._fitted_cache[key] = fitted
        while len(self._fitted_cache) > FITTED_CACHE:
            self._fitted_cache.popitem(last=False)
        return fitted

    def _badge(self, painter: QPainter, text: str, cell: QRect, colour: QColor,
               top_left: bool = False, top_right: bool = False, bottom_left: bool = False) -> None:
        """A rounded label: bottom right of `cell`, or at its top left, top right or bottom left corner."""
        painter.save()
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        w = painter.fontMetrics().horizontalAdvance(text) + 10
        h = painter.fontMetrics().height() + 4
        if top_left:
            badge = QRect(cell.left(), cell.top(), w, h)
        elif top_right:
            badge = QRect(cell.left() - w, cell.top(), w, h)
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
