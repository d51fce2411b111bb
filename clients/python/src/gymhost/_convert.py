"""Conversions between gymhost.v1 messages and gymnasium / NumPy values."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from google.protobuf import struct_pb2
from gymnasium import spaces

from .v1 import spaces_pb2

# Wire dtype <-> little-endian NumPy dtype.
_NP_OF = {
    spaces_pb2.DTYPE_FLOAT32: np.dtype("<f4"),
    spaces_pb2.DTYPE_FLOAT64: np.dtype("<f8"),
    spaces_pb2.DTYPE_INT32: np.dtype("<i4"),
    spaces_pb2.DTYPE_INT64: np.dtype("<i8"),
    spaces_pb2.DTYPE_UINT8: np.dtype("u1"),
}
_WIRE_OF = {np.dtype(v).newbyteorder("="): k for k, v in _NP_OF.items()}
_WIRE_OF[np.dtype(np.uint8)] = spaces_pb2.DTYPE_UINT8


def np_dtype(dtype: int) -> np.dtype:
    try:
        return _NP_OF[dtype]
    except KeyError:
        raise ValueError(f"unknown wire dtype {dtype}") from None


def wire_np_dtype(dtype: int) -> np.dtype | None:
    """The NumPy dtype of a wire dtype, or None for an unknown one."""
    return _NP_OF.get(dtype)


def wire_dtype(dtype: Any) -> int:
    d = np.dtype(dtype)
    if d.byteorder not in ("=", "|"):
        d = d.newbyteorder("=")
    try:
        return _WIRE_OF[d]
    except KeyError:
        raise ValueError(f"dtype {d} has no gymhost wire type (float32, float64, int32, int64, uint8)") from None


def tensor_to_numpy(t: spaces_pb2.Tensor, dtype: Any = None) -> np.ndarray:
    """A Tensor as a new (writable) array in native byte order; ``dtype`` casts it."""
    arr = np.frombuffer(t.data, dtype=np_dtype(t.dtype)).reshape(tuple(t.shape))
    native = arr.dtype.newbyteorder("=")
    target = native if dtype is None else np.dtype(dtype)
    return arr.astype(target, copy=True)


def numpy_to_tensor(arr: Any, dtype: Any = None) -> spaces_pb2.Tensor:
    """An array (or nested list) as a Tensor; ``dtype`` forces the element type."""
    a = np.asarray(arr, dtype=dtype)
    wire = wire_dtype(a.dtype)
    data = np.ascontiguousarray(a, dtype=_NP_OF[wire]).tobytes()
    return spaces_pb2.Tensor(dtype=wire, shape=a.shape, data=data)


# ---- spaces --------------------------------------------------------------------------------


def space_from_proto(msg: spaces_pb2.Space) -> spaces.Space:
    """A Space message as gymnasium's Discrete or Box."""
    kind = msg.WhichOneof("kind")
    if kind == "discrete":
        return spaces.Discrete(int(msg.discrete.n), start=int(msg.discrete.start))
    if kind == "box":
        b = msg.box
        dtype = np_dtype(b.dtype).newbyteorder("=")
        shape = tuple(int(d) for d in b.shape)
        low = np.asarray(b.low, dtype=np.float64).reshape(shape)
        high = np.asarray(b.high, dtype=np.float64).reshape(shape)
        if np.issubdtype(dtype, np.floating):
            low, high = low.astype(dtype), high.astype(dtype)
        else:
            info = np.iinfo(dtype)
            low = np.clip(low, info.min, info.max).astype(dtype)
            high = np.clip(high, info.min, info.max).astype(dtype)
        return spaces.Box(low=low, high=high, shape=shape, dtype=dtype)
    raise ValueError(f"unsupported space: {msg}")


def space_to_proto(space: spaces.Space) -> spaces_pb2.Space:
    """gymnasium's Discrete or Box as a Space message."""
    if isinstance(space, spaces.Discrete):
        return spaces_pb2.Space(discrete=spaces_pb2.Discrete(n=int(space.n), start=int(space.start)))
    if isinstance(space, spaces.Box):
        return spaces_pb2.Space(
            box=spaces_pb2.Box(
                low=np.asarray(space.low, dtype=np.float64).ravel().tolist(),
                high=np.asarray(space.high, dtype=np.float64).ravel().tolist(),
                shape=list(space.shape),
                dtype=wire_dtype(space.dtype),
            )
        )
    raise TypeError(f"gymhost hosts Discrete and Box spaces, not {type(space).__name__}")


# ---- values of a space ---------------------------------------------------------------------


def value_to_python(v: spaces_pb2.SpaceValue, space: spaces.Space) -> Any:
    """One observation: np.int64 for a Discrete space, an array of the space's dtype for a Box."""
    kind = v.WhichOneof("kind")
    if kind == "discrete":
        return np.int64(v.discrete)
    if kind == "tensor":
        arr = tensor_to_numpy(v.tensor, getattr(space, "dtype", None))
        if isinstance(space, spaces.Discrete):
            return np.int64(arr.reshape(()))
        return arr
    raise ValueError("the server sent an empty observation")


def value_to_proto(x: Any, space: spaces.Space | None) -> spaces_pb2.SpaceValue:
    """An observation or action as a SpaceValue (integer for Discrete, tensor for Box)."""
    if isinstance(space, spaces.Discrete) or (space is None and _is_int_scalar(x)):
        return spaces_pb2.SpaceValue(discrete=as_int(x))
    dtype = getattr(space, "dtype", None) or np.float32
    return spaces_pb2.SpaceValue(tensor=numpy_to_tensor(x, dtype))


def _is_int_scalar(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def as_int(x: Any) -> int:
    """An integer action or state from an int, a NumPy integer or a one-element array."""
    if type(x) is int:
        return x
    if isinstance(x, np.ndarray):
        if x.size != 1:
            raise ValueError(f"expected one integer, got an array of shape {x.shape}")
        x = x.reshape(()).item()
    elif isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        if not x.is_integer():
            raise ValueError(f"expected an integer, got {x}")
        return int(x)
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"expected an integer, got {type(x).__name__}")
    return x


# ---- google.protobuf.Struct <-> dict ---------------------------------------------------------


def struct_to_dict(s: struct_pb2.Struct) -> dict[str, Any]:
    """A Struct as a dict; whole numbers become ints (the server's JSON numbers carry no type)."""
    if not s.fields:
        return {}
    return {k: _value_to_python(v) for k, v in s.fields.items()}


def _value_to_python(v: struct_pb2.Value) -> Any:
    kind = v.WhichOneof("kind")
    if kind == "number_value":
        n = v.number_value
        return int(n) if n.is_integer() and abs(n) < 2**53 else n
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "struct_value":
        return struct_to_dict(v.struct_value)
    if kind == "list_value":
        return [_value_to_python(x) for x in v.list_value.values]
    return None


def dict_to_struct(d: Mapping[str, Any] | None) -> struct_pb2.Struct | None:
    """A dict (NumPy scalars and arrays allowed) as a Struct; None stays None."""
    if d is None:
        return None
    s = struct_pb2.Struct()
    s.update({str(k): _plain(v) for k, v in d.items()})
    return s


def _plain(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v
