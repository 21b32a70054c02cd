"""Logging: a rotating log file in the logs folder plus stderr for warnings."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
from pathlib import Path

from inphotos.fsutil import PRIVATE_FILE_MODE, private_dir

LOG_FILE_NAME = "inphotos.log"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files readable by their owner only (they name photos and folders)."""

    def _open(self):  # type: ignore[no-untyped-def]
        old = os.umask(0o077)  # the file is born private: no moment where others can open it
        try:
            return super()._open()
        finally:
            os.umask(old)
            with contextlib.suppress(OSError):
                os.chmod(self.baseFilename, PRIVATE_FILE_MODE)


def setup_logging(log_dir: Path, level: int = logging.INFO, console_level: int = logging.WARNING) -> Path:
    """Send logs to `log_dir/inphotos.log` (rotated) and warnings to stderr; returns the file."""
    private_dir(log_dir)
    log_file = log_dir / LOG_FILE_NAME
    root = logging.getLogger()
    root.setLevel(min(level, console_level))
    for h in list(root.handlers):
        if getattr(h, "_inphotos", False):
            root.removeHandler(h)
            h.close()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    file_handler = PrivateRotatingFileHandler(
        log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    file_handler.setFormatter(fmt)
    file_handler.setLevel(level)
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.setLevel(console_level)
    for h in (file_handler, console):
        setattr(h, "_inphotos", True)  # noqa: B010 - marks our own handlers
        root.addHandler(h)
    # Chatty third parties stay quiet unless something is wrong.
    for name in ("PIL", "urllib3", "httpx", "huggingface_hub", "filelock"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return log_file
