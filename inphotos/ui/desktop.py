"""Hand-offs to the desktop: open a photo, show it in the file manager."""

from __future__ import annotations

import logging
import os
import sys

from PyQt6.QtCore import QProcess, QUrl
from PyQt6.QtGui import QDesktopServices

log = logging.getLogger(__name__)


def open_file(path: str) -> bool:
    """Open with the user's default application."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def show_in_folder(path: str) -> bool:
    """Reveal a file in the system file manager (selected where the platform allows)."""
    if sys.platform == "darwin":
        return QProcess.startDetached("open", ["-R", path])[0]
    if sys.platform == "win32":
        return QProcess.startDetached("explorer", ["/select,", os.path.normpath(path)])[0]
    uri = QUrl.fromLocalFile(path).toString()
    ok = QProcess.startDetached(
        "dbus-send",
        ["--session", "--print-reply", "--dest=org.freedesktop.FileManager1",
         "/org/freedesktop/FileManager1", "org.freedesktop.FileManager1.ShowItems",
         f"array:string:{uri}", "string:"],
    )[0]
    if not ok:
        log.info("No FileManager1 service; opening the folder instead")
        return QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))
    return True
