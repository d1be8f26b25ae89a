"""Read CTranslate2 `model.bin` files without CTranslate2.

Layout (little-endian), as written by CTranslate2's model spec serializer:
    u32 format version (>= 3 handled here)
    str spec name, u32 spec revision            (version >= 2)
    u32 variable count, then per variable:
        str name, u8 rank, u32[rank] shape,
        u8 dtype, u32 byte count                (version >= 4; older: u8 item size)
        raw bytes
    u32 alias count, then per alias: str alias, str target   (version >= 3)
where `str` is a u16 length followed by that many bytes ending in NUL.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

import numpy as np

from ..errors import ModelError

# CTranslate2 DataType enum order.
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: "bfloat16"}


def _read(handle: BinaryIO, fmt: str):
    size = struct.calcsize("<" + fmt)
    data = handle.read(size)
    if len(data) != size:
        raise ModelError("CTranslate2 model file ends early: it is truncated or incomplete")
    return struct.unpack("<" + fmt, data)


def _read_string(handle: BinaryIO) -> str:
    (length,) = _read(handle, "H")
    return handle.read(length).rstrip(b"\0").decode("utf-8")


def _decode_array(raw: bytes, dtype_id: int, shape: tuple[int, ...]) -> np.ndarray:
    dtype = _DTYPES.get(dtype_id)
    if dtype is None:
        raise ModelError(f"CTranslate2 variable has unknown data type {dtype_id}")
    if dtype == "bfloat16":
        halves = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
        return halves.view(np.float32).reshape(shape)
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def read_ct2_variables(handle: BinaryIO) -> tuple[str, dict[str, np.ndarray]]:
    """Return the spec name and every variable (aliases resolved, int8 weights dequantised)."""
    (version,) = _read(handle, "I")
    if version < 3:
        raise ModelError(f"CTranslate2 model format version {version} is too old to import")
    spec = _read_string(handle)
    _read(handle, "I")  # spec revision
    (count,) = _read(handle, "I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = _read_string(handle)
        (rank,) = _read(handle, "B")
        shape = _read(handle, f"{rank}I") if rank else ()
        if version >= 4:
            dtype_id, nbytes = _read(handle, "BI")
        else:
            item_size, nbytes = _read(handle, "BI")
            dtype_id = {4: 0, 2: 4, 1: 1}[item_size]
        raw = handle.read(nbytes)
        if len(raw) != nbytes:
            raise ModelError("CTranslate2 model file ends early: it is truncated or incomplete")
        variables[name] = _decode_array(raw, dtype_id, tuple(shape))
    (aliases,) = _read(handle, "I")
    for _ in range(aliases):
        alias, target = _read_string(handle), _read_string(handle)
        variables[alias] = variables[target]
    return spec, _dequantize(variables)


def _dequantize(variables: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """int8 weights come with a per-row `<name>_scale`: value = int8 / scale."""
    out = {}
    for name, value in variables.items():
        if name.endswith("_scale"):
            continue
        scale = variables.get(name + "_scale")
        if scale is not None and value.dtype == np.int8:
            value = value.astype(np.float32) / scale.astype(np.float32).reshape(-1, *[1] * (value.ndim - 1))
        out[name] = value
    return out
