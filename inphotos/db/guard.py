"""What every PhotoStore call goes through: counted as running, so the store is never closed
under it, and ObjectBox failures turned into the one error model."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import objectbox

from inphotos.db.failures import store_error
from inphotos.errors import StoreError

F = TypeVar("F", bound=Callable[..., Any])


def now_ms() -> int:
    return int(time.time() * 1000)


def any_of(conditions: list[Any]) -> Any:
    out = conditions[0]
    for c in conditions[1:]:
        out = out | c
    return out


def in_use(method: F) -> F:
    """Count the call as running, so the store is never closed under it.

    A call that another call of the same thread makes (`nearest` counting first) is part of
    the outer one: it runs even when `close()` came in between.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        nested = getattr(self._local, "depth", 0) > 0
        with self._cv:
            if self._closed and not nested:
                raise StoreError("The photo library was closed.")
            self._in_flight += 1
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            return method(self, *args, **kwargs)
        except objectbox.DbError as e:
            raise store_error(self.directory, e) from e
        finally:
            self._local.depth -= 1
            with self._cv:
                self._in_flight -= 1
                self._cv.notify_all()
                last = self._closed and self._in_flight == 0
            if last:  # close() stopped waiting: the last call out closes the database
                self._release()

    return cast(F, wrapper)
