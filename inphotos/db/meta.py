"""The index's record file (`inphotos-db.json`): format, model, dims, weights, completeness.

It is what tells InPhotos which model made the vectors, so it is written durably (see
`inphotos.fsutil.atomic_write`), one writer at a time, and a damaged one is reported, never
mistaken for a new database (which would rewrite it and forget what it recorded).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from inphotos.db.failures import file_error
from inphotos.errors import DamagedDatabaseError, StoreError
from inphotos.fsutil import atomic_write

log = logging.getLogger(__name__)

#: 1: the first release. 2: the meta file records which weights made the vectors ("weights")
#: and since when vectors are current ("vectors_valid_from_ms"); the database is unchanged.
FORMAT_VERSION = 2
META_FILE = "inphotos-db.json"

#: Serialises every write of a record file in this process (another process cannot write it:
#: the library's process lock keeps it out).
META_LOCK = threading.RLock()


class DamagedMetaError(DamagedDatabaseError):
    """The record file exists but cannot be read as one; it is left untouched."""


def read_meta(directory: Path) -> dict[str, Any]:
    """The record of the index in `directory`; {} when there is none yet (a new database).

    Raises:
        DamagedMetaError: the file is there but is not a JSON object.
        StoreError: the file cannot be read.
    """
    path = directory / META_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise StoreError(f"Cannot read the index's record file {path}: {e.strerror or e}") from e
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not data or not _well_typed(data):
        # every record names at least its format; numbers must be numbers
        raise DamagedMetaError(
            f"The record file of the index in {directory} ({META_FILE}) is damaged, so InPhotos "
            "cannot tell which model made its vectors. It was left as it is: restore it from a "
            f"backup, or delete the folder {directory} to index the photos again from scratch."
        )
    return data


#: Fields that must be whole numbers where present (the rest is read leniently).
_INT_FIELDS = ("format", "dims", "created_ms", "photos", "vectors_valid_from_ms")


def _well_typed(data: dict[str, Any]) -> bool:
    for key in _INT_FIELDS:
        value = data.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return False
    return data.get("dims", 1) != 0


def write_meta(directory: Path, meta: dict[str, Any]) -> None:
    write_meta_file(directory / META_FILE, meta)


def write_meta_file(path: Path, meta: dict[str, Any]) -> None:
    """Replace a record file durably: a crash or a full disk leaves the old one whole.

    Raises:
        DiskFullError: no space for it.
        StoreError: any other failure to write it.
    """
    data = json.dumps(meta, indent=2).encode("utf-8")
    with META_LOCK:
        try:
            atomic_write(path, data)
        except OSError as e:
            raise file_error(path, e) from e


def new_meta(model_spec: str, dims: int, weights: str) -> dict[str, Any]:
    return {"format": FORMAT_VERSION, "model": model_spec, "dims": dims,
            "created_ms": int(time.time() * 1000), "complete": False, "weights": weights}


def migrate(directory: Path, meta: dict[str, Any], weights: str) -> dict[str, Any]:
    """Bring an older index's meta up to this version, keeping every vector.

    The old meta file is kept beside it (`inphotos-db.v1.json`), so an older InPhotos's
    record is never lost.
    """
    old = int(meta.get("format", 1))
    backup = directory / f"inphotos-db.v{old}.json"
    if not backup.exists():
        write_meta_file(backup, meta)
    meta = dict(meta)
    if old < 2:
        # Format 1 did not record the weights. The model is the same one (its database is
        # chosen by the model's name), so the vectors are taken as coming from these weights.
        meta["weights"] = weights
    meta["format"] = FORMAT_VERSION
    write_meta(directory, meta)
    log.info("Index in %s migrated from format %d to %d; no photo is embedded again",
             directory, old, FORMAT_VERSION)
    return meta
