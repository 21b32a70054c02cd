"""Column reads objectbox-python lacks: one property of many rows, and stored vectors, without
unmarshalling whole rows.

objectbox-python turns every row it reads into a Python object (~35 us for a photo, most of
it the 512 floats), so reading the vectors of a few thousand photos took ~100 ms. The C
library can return one property of every row of a query (its property queries), and gives
rows as FlatBuffers bytes, in which a vector can be found with a few offset reads; both are
bound here through objectbox-python's own ctypes handle on the library.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import objectbox.c as obx_c

log = logging.getLogger(__name__)

_C = obx_c.C


class _Int64Array(ctypes.Structure):
    _fields_ = [("items", ctypes.POINTER(ctypes.c_int64)), ("count", ctypes.c_size_t)]


class _Int32Array(ctypes.Structure):
    _fields_ = [("items", ctypes.POINTER(ctypes.c_int32)), ("count", ctypes.c_size_t)]


class _StringArray(ctypes.Structure):
    _fields_ = [("items", ctypes.POINTER(ctypes.c_char_p)), ("count", ctypes.c_size_t)]


def _fn(name: str, restype: Any, argtypes: list[Any]) -> Any:
    f = getattr(_C, name)
    f.restype = restype
    f.argtypes = argtypes
    return f


_prop = _fn("obx_query_prop", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_uint32])
_prop_close = _fn("obx_query_prop_close", ctypes.c_int, [ctypes.c_void_p])
_P = ctypes.c_void_p
_find_int64s = _fn("obx_query_prop_find_int64s", ctypes.POINTER(_Int64Array), [_P, _P])
_find_int32s = _fn("obx_query_prop_find_int32s", ctypes.POINTER(_Int32Array), [_P, _P])
_find_strings = _fn("obx_query_prop_find_strings", ctypes.POINTER(_StringArray), [_P, ctypes.c_char_p])
_free_int64s = _fn("obx_int64_array_free", None, [ctypes.POINTER(_Int64Array)])
_free_int32s = _fn("obx_int32_array_free", None, [ctypes.POINTER(_Int32Array)])
_free_strings = _fn("obx_string_array_free", None, [ctypes.POINTER(_StringArray)])


def _open_prop(query: Any, prop: Any) -> int:
    qp = _prop(query._c_query, prop.id)
    if not qp:
        obx_c.check_result(None, _prop, ())  # raises the library's last error
    return int(qp)


def int_column(query: Any, prop: Any, bits: int = 64) -> np.ndarray:
    """Values of integer property `prop` of every row `query` finds (rows in id order when the
    query has no order; rows without a value read 0)."""
    qp = _open_prop(query, prop)
    zero = ctypes.c_int64(0) if bits == 64 else ctypes.c_int32(0)
    try:
        find, free = (_find_int64s, _free_int64s) if bits == 64 else (_find_int32s, _free_int32s)
        arr = find(qp, ctypes.byref(zero))
        if not arr:
            obx_c.check_result(None, find, ())
        try:
            n = int(arr.contents.count)
            if n == 0:
                return np.zeros(0, np.int64 if bits == 64 else np.int32)
            return np.ctypeslib.as_array(arr.contents.items, (n,)).copy()
        finally:
            free(arr)
    finally:
        _prop_close(qp)


def string_column(query: Any, prop: Any) -> list[str]:
    """Values of string property `prop` of every row `query` finds (missing: "")."""
    qp = _open_prop(query, prop)
    try:
        arr = _find_strings(qp, b"")
        if not arr:
            obx_c.check_result(None, _find_strings, ())
        try:
            items, n = arr.contents.items, int(arr.contents.count)
            return [(items[i] or b"").decode("utf-8") for i in range(n)]
        finally:
            _free_strings(arr)
    finally:
        _prop_close(qp)


def _u32(mem: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Little-endian uint32 at byte offsets `at` of `mem` (FlatBuffers is little-endian)."""
    b = mem[at[:, None] + np.arange(4)].astype(np.int64)
    return b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16) | (b[:, 3] << 24)


def _u16(mem: np.ndarray, at: np.ndarray) -> np.ndarray:
    b = mem[at[:, None] + np.arange(2)].astype(np.int64)
    return b[:, 0] | (b[:, 1] << 8)


def read_vectors(store: Any, box: Any, prop: Any, ids: Sequence[int] | np.ndarray, dims: int,
                 chunk: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """The float32 vectors of property `prop` of rows `ids`, in order, and which were found.

    Rows come from the C library as FlatBuffers bytes (valid while the read transaction is
    open); the vector's place in each row is computed for all rows at once with numpy, and
    each vector is copied straight into the result. A row whose vector is missing, of another
    length or out of its row's bounds reads as zeros and not found.
    """
    ids = np.ascontiguousarray(np.asarray(ids, dtype=np.uint64))
    out = np.zeros((len(ids), dims), np.float32)
    found = np.zeros(len(ids), bool)
    voffset = int(prop._fb_v_offset)
    row_bytes = dims * 4
    with store.read_tx():
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            c_ids = obx_c.OBX_id_array(part.ctypes.data_as(ctypes.POINTER(obx_c.obx_id)), len(part))
            arr = obx_c.obx_box_get_many(box._c_box, ctypes.byref(c_ids))
            try:
                n = int(arr.contents.count)
                if n == 0:
                    continue
                pairs = np.ctypeslib.as_array(
                    ctypes.cast(arr.contents.data, ctypes.POINTER(ctypes.c_uint64)), (n * 2,))
                ptrs, sizes = pairs[0::2].astype(np.int64), pairs[1::2].astype(np.int64)
                ok = (ptrs != 0) & (sizes >= 8)
                if not ok.any():
                    continue
                lo = int(ptrs[ok].min())
                hi = int((ptrs + sizes)[ok].max())
                # A view of the address range holding these rows; only bytes inside a row are read.
                mem = np.ctypeslib.as_array((ctypes.c_uint8 * (hi - lo)).from_address(lo))
                rel, end = ptrs - lo, ptrs + sizes - lo
                idx = np.flatnonzero(ok)
                table = rel[idx] + _u32(mem, rel[idx])
                ok2 = table + 4 <= end[idx]
                idx, table = idx[ok2], table[ok2]
                vt = table - _u32(mem, table).astype(np.int32).astype(np.int64)  # soffset
                ok3 = (vt >= rel[idx]) & (vt + 4 <= end[idx])
                idx, table, vt = idx[ok3], table[ok3], vt[ok3]
                ok4 = _u16(mem, vt) > voffset + 1
                idx, table, vt = idx[ok4], table[ok4], vt[ok4]
                field = _u16(mem, vt + voffset)
                ok5 = field > 0
                idx, table, field = idx[ok5], table[ok5], field[ok5]
                at = table + field
                ok6 = at + 4 <= end[idx]
                idx, at = idx[ok6], at[ok6]
                vec = at + _u32(mem, at)
                ok7 = (vec + 4 + row_bytes <= end[idx]) & (vec >= rel[idx])
                idx, vec = idx[ok7], vec[ok7]
                ok8 = _u32(mem, vec) == dims
                idx, vec = idx[ok8], vec[ok8]
                base = out.ctypes.data + (start + idx) * row_bytes
                src = vec + 4 + lo
                memmove = ctypes.memmove
                for d, s in zip(base.tolist(), src.tolist(), strict=True):
                    memmove(d, s, row_bytes)
                found[start + idx] = True
            finally:
                obx_c.obx_bytes_array_free(arr)
    return out, found
