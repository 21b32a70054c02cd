"""The files that sit beside a library's database: the folder list (kept outside the database,
so a damaged one cannot take it along) and the checks that the database's own files are there."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from inphotos.db.failures import file_error
from inphotos.db.obx import decode_path, encode_path
from inphotos.errors import DamagedDatabaseError
from inphotos.fsutil import atomic_write

log = logging.getLogger(__name__)

MODEL_JSON = "objectbox-model.json"
DATA_FILE = "data.mdb"
#: The library folders, kept beside the database so that a damaged one cannot take them along.
FOLDERS_FILE = "inphotos-folders.json"


def native_path(directory: Path) -> str:
    """The folder as ObjectBox (which encodes paths as UTF-8) finds it on disk.

    Under a C locale Python holds a non-ASCII path as escaped bytes (surrogates), which
    UTF-8 cannot encode; its bytes decoded as UTF-8 name the same folder.
    """
    return os.fsencode(str(directory)).decode("utf-8", "surrogateescape")


def damaged_message(directory: Path, what: str) -> str:
    return (
        f"The InPhotos database in {directory} cannot be used: {what}. Your photos are not "
        "affected. Repairing rebuilds the index from the photos, keeping your library folders "
        "and settings (the damaged files are kept aside)."
    )


def check_files(directory: Path) -> None:
    """The files an index that was written before must still have."""
    if not (directory / DATA_FILE).exists():
        raise DamagedDatabaseError(damaged_message(directory, f"its database file {DATA_FILE} is missing"))
    try:
        schema = json.loads((directory / MODEL_JSON).read_bytes())
    except FileNotFoundError:
        raise DamagedDatabaseError(
            damaged_message(directory, f"its schema file {MODEL_JSON} is missing")
        ) from None
    except (OSError, ValueError) as e:
        schema = e
    if not isinstance(schema, dict) or not isinstance(schema.get("entities"), list):
        # ObjectBox would quietly write a new one, whose ids need not match the data.
        raise DamagedDatabaseError(
            damaged_message(directory, f"its schema file {MODEL_JSON} is damaged")
        )


def read_folder_list(directory: Path) -> list[str] | None:
    """The library folders recorded beside the database; None when there is no list."""
    try:
        data = json.loads((directory / FOLDERS_FILE).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        log.warning("The folder list in %s is unreadable", directory)
        return None
    folders = data.get("folders") if isinstance(data, dict) else None
    if not isinstance(folders, list):
        return None
    return [decode_path(f) for f in folders if isinstance(f, str)]


def write_folder_list(directory: Path, folders: list[str]) -> None:
    path = directory / FOLDERS_FILE
    data = json.dumps({"folders": [encode_path(f) for f in folders]}, indent=2).encode("utf-8")
    try:
        atomic_write(path, data)
    except OSError as e:
        raise file_error(path, e) from e
