"""The window's size, position and splitter, remembered between runs in the config folder."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QMainWindow, QSplitter


def _store(config_dir: Path) -> QSettings:
    return QSettings(str(config_dir / "window.ini"), QSettings.Format.IniFormat)


def restore(window: QMainWindow, splitter: QSplitter, config_dir: Path) -> None:
    qs = _store(config_dir)
    geometry = qs.value("geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    state = qs.value("splitter")
    if state is not None:
        splitter.restoreState(state)


def save(window: QMainWindow, splitter: QSplitter, config_dir: Path) -> None:
    qs = _store(config_dir)
    qs.setValue("geometry", window.saveGeometry())
    qs.setValue("splitter", splitter.saveState())
    qs.sync()
