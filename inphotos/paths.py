"""Where InPhotos keeps its data: the database, thumbnails, config and logs.

Everything lives in the platform's usual places (platformdirs) unless `--home DIR` or the
`INPHOTOS_HOME` environment variable puts it all under one folder (tests, portable installs).
The app never writes into the photo folders.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from inphotos.errors import StoreError
from inphotos.fsutil import private_dir

log = logging.getLogger(__name__)

APP_DIR_NAME = "InPhotos"
HOME_ENV = "INPHOTOS_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The folders one InPhotos installation uses."""

    data: Path
    cache: Path
    config: Path
    logs: Path

    @property
    def databases(self) -> Path:
        """Parent of the per-model databases."""
        return self.data / "db"

    @property
    def thumbnails(self) -> Path:
        return self.cache / "thumbnails"

    @property
    def config_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def lock_file(self) -> Path:
        return self.data / "inphotos.lock"

    def ensure(self) -> AppPaths:
        """Create the folders if missing, readable by their owner only; returns self."""
        for p in (self.data, self.cache, self.config, self.logs, self.databases, self.thumbnails):
            try:
                private_dir(p)
                if not p.is_dir():
                    raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(p))
            except OSError as e:
                raise StoreError(
                    f"InPhotos cannot use the folder {p} for its data: {e.strerror or e}. "
                    "Choose another home (--home or INPHOTOS_HOME), or fix the folder."
                ) from e
        return self


def app_paths(home: str | os.PathLike[str] | None = None) -> AppPaths:
    """The paths for `home` (or $INPHOTOS_HOME), else the platform defaults."""
    home = home or os.environ.get(HOME_ENV) or None
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(root / "data", root / "cache", root / "config", root / "logs")
    return AppPaths(
        Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_DIR_NAME, appauthor=False)),
        Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False)),
    )


def use_home(home: str | os.PathLike[str] | None) -> AppPaths:
    """Apply `--home`: every later `app_paths()` in this process (and its children) agrees."""
    if home:
        os.environ[HOME_ENV] = str(Path(home).expanduser().resolve())
    return app_paths()


def resource(name: str) -> Path:
    """A file from `resources/`, in a source tree, an installed package or a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    candidates = [Path(bundle) / "resources"] if bundle else []
    here = Path(__file__).resolve().parent
    candidates += [here / "resources", here.parent / "resources"]
    for base in candidates:
        if (base / name).exists():
            return base / name
    return candidates[-1] / name
