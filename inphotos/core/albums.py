"""Smart albums: saved searches, kept by name in the library's data folder.

An album is a `SearchRequest` (its words, filters, order and whether weaker matches show);
it is run again each time it is opened, so photos indexed since show up. Albums belong to
the library, not to a model: the file (`albums.json`, beside the per-model databases) is read
the same whichever model is in use, so switching models keeps them.

The file is read for every call and replaced atomically on every change (inphotos.fsutil),
so the app and a command line started beside it see each other's albums, and a crash
leaves the old file or the new one. A damaged file is refused with a message, never
overwritten.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from inphotos.errors import StoreError, UserError
from inphotos.fsutil import atomic_write
from inphotos.records import SearchRequest

log = logging.getLogger(__name__)

ALBUMS_FILE = "albums.json"
FORMAT = 1
MAX_NAME = 200
_lock = threading.Lock()  # one change at a time in this process (read, modify, replace)


class AlbumError(UserError):
    """An album request the user can fix (no such album, name taken, empty name)."""


class Albums:
    """The smart albums of the library whose data folder is `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.file = Path(data_dir) / ALBUMS_FILE

    def all(self) -> dict[str, SearchRequest]:
        """Every album, by name, in the order they were made."""
        return {a["name"]: SearchRequest.from_json(a) for a in self._read()}

    def get(self, name: str) -> SearchRequest:
        for a in self._read():
            if a["name"] == name:
                return SearchRequest.from_json(a)
        raise AlbumError(f"No album called {name!r}" + _known(self._read()))

    def add(self, name: str, request: SearchRequest) -> None:
        """Save `request` as album `name` (a new name; photo ids are never saved)."""
        name = _check_name(name)
        if request.photo_ids or request.image_path:
            raise AlbumError("An album saves a search by words and filters, not by photos")
        with _lock:
            albums = self._read()
            if any(a["name"].casefold() == name.casefold() for a in albums):
                raise AlbumError(f"There is already an album called {name!r}")
            albums.append({"name": name, "created_ms": int(time.time() * 1000), **request.to_json()})
            self._write(albums)

    def rename(self, old: str, new: str) -> None:
        new = _check_name(new)
        with _lock:
            albums = self._read()
            found = [a for a in albums if a["name"] == old]
            if not found:
                raise AlbumError(f"No album called {old!r}" + _known(albums))
            if any(a["name"].casefold() == new.casefold() and a["name"] != old for a in albums):
                raise AlbumError(f"There is already an album called {new!r}")
            found[0]["name"] = new
            self._write(albums)

    def remove(self, name: str) -> None:
        with _lock:
            albums = self._read()
            kept = [a for a in albums if a["name"] != name]
            if len(kept) == len(albums):
                raise AlbumError(f"No album called {name!r}" + _known(albums))
            self._write(kept)

    def _read(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            raise StoreError(f"The album file {self.file} cannot be read ({e}); "
                             "move it away to start with no albums") from e
        albums = data.get("albums") if isinstance(data, dict) else None
        if not isinstance(albums, list):
            raise StoreError(f"The album file {self.file} is not an InPhotos album file")
        return [a for a in albums if isinstance(a, dict) and isinstance(a.get("name"), str)]

    def _write(self, albums: list[dict[str, Any]]) -> None:
        text = json.dumps({"format": FORMAT, "albums": albums}, indent=2, ensure_ascii=False)
        self.file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.file, text.encode("utf-8"))


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise AlbumError("An album needs a name")
    if len(name) > MAX_NAME:
        raise AlbumError(f"An album name can have at most {MAX_NAME} characters")
    return name


def _known(albums: list[dict[str, Any]]) -> str:
    names = [a["name"] for a in albums]
    return f" (albums: {', '.join(names)})" if names else " (there are no albums yet)"
