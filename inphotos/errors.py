"""The one error model: every failure a user can cause or meet is an `InPhotosError`.

The engine raises these; the callers (the CLI, the workers, the window) decide how to say it.
Anything else that escapes is a bug: the app shows it in the crash dialog, the CLI as a
traceback. Control flow never depends on an error's message text, only on its type.

- `UserError`: a request refused because of what was asked (a missing folder, a bad option).
- `TransientError`: may succeed later without a change by the user (network down, a file
  changing while it is read).
- `DownloadError`: the model's weights could not be downloaded (a transient model error).
- `ModelError`: the model cannot be used (damaged weights, unknown name).
- `StoreError`: the database cannot be opened or used; `DiskFullError` for a full disk,
  `DamagedDatabaseError` for a damaged or missing one (the way out: repair).
- `LibraryInUseError`: another InPhotos process holds the library.
- `DecodeError`: one file cannot be indexed; `retry_later` when it may be fine next scan
  (deleted or replaced while being read).
"""

from __future__ import annotations

from enum import Enum


class Advice(Enum):
    """A way out the caller can phrase in its own words (a menu in the app, a flag in the CLI)."""

    NONE = "none"
    RETRY = "retry"  # try again later (network, a file in use)
    USE_MODEL_FOLDER = "use_model_folder"  # choose a local model folder instead
    FREE_SPACE = "free_space"  # free disk space, then index again
    UPDATE_APP = "update_app"  # this data was written by a newer InPhotos
    CLOSE_OTHER = "close_other"  # close the other InPhotos window or command
    REPAIR = "repair"  # rebuild the index from the photos (Library.repair / inphotos repair)


class InPhotosError(Exception):
    """Base of every expected failure; `str(e)` is a sentence meant for the user.

    `advice` defaults to the class's; one raise site may name another way out.
    """

    advice: Advice = Advice.NONE

    def __init__(self, *args: object, advice: Advice | None = None) -> None:
        super().__init__(*args)
        if advice is not None:
            self.advice = advice


class UserError(InPhotosError, ValueError):
    """A request refused because of what was asked; nothing was changed."""


class LibraryError(UserError):
    """A request the library refuses (a missing folder, a query with no words)."""


class AlreadyInLibraryError(LibraryError):
    """The folder, or a folder holding it, is already in the library."""


class TransientError(InPhotosError):
    """A failure that may go away by itself; trying again later is the way out."""

    advice = Advice.RETRY


class ModelError(InPhotosError):
    """The model cannot be used."""

    advice = Advice.USE_MODEL_FOLDER


class DownloadError(ModelError, TransientError):
    """The model's weights could not be downloaded (offline, blocked, interrupted)."""

    advice = Advice.RETRY


class ClusterError(InPhotosError):
    """The Ray cluster asked for cannot be reached or cannot run InPhotos' indexing."""


class StoreError(InPhotosError):
    """The database cannot be opened or used."""


class DiskFullError(StoreError):
    """A write failed for lack of space; nothing of it was saved and the database is intact."""

    advice = Advice.FREE_SPACE


class DamagedDatabaseError(StoreError):
    """The database is damaged or missing; rebuilding it from the photos is the way out."""

    advice = Advice.REPAIR


class NewerFormatError(StoreError):
    """The data was written by a newer InPhotos; it is left untouched."""

    advice = Advice.UPDATE_APP


class LibraryInUseError(InPhotosError):
    """Another InPhotos process has this library open."""

    advice = Advice.CLOSE_OTHER


class DecodeError(InPhotosError):
    """A file that cannot be indexed; str(e) is the reason shown to the user.

    `retry_later`: the file went away or changed while it was read, so it is not recorded
    as a bad file; the next scan looks at it again.
    """

    def __init__(self, *args: object, retry_later: bool = False, advice: Advice | None = None) -> None:
        super().__init__(*args, advice=advice)
        self.retry_later = retry_later

    @classmethod
    def unreadable(cls, e: FileNotFoundError | PermissionError) -> DecodeError:
        """A file that went away while it was being indexed (looked at again by the next
        scan), or that may not be read: what every decoder says of these two."""
        if isinstance(e, FileNotFoundError):
            return cls("file not found (deleted while indexing)", retry_later=True)
        return cls("no permission to read the file")
