#!/usr/bin/env python3
"""Makes gymhost's protobuf JSON readable: every Tensor ({"dtype", "shape", "data"}, where
proto3 JSON writes the little-endian bytes `data` as base64) becomes its values as nested
lists, shaped by `shape`.

    grpcurl -plaintext -d '{"id": "<id>", "seed": 7}' 127.0.0.1:50051 gymhost.v1.EnvService/Reset \\
      | python3 scripts/tensor-json.py
    {"observation": {"tensor": [0.0125095462, 0.0397213809, 0.0275685694, -0.0274792816]}, "info": {}}

Reads one or more JSON documents (grpcurl prints one per response of a stream) on stdin and
writes each as one line. Only the Python standard library is needed.
"""

from __future__ import annotations

import base64
import json
import struct
import sys
from typing import Any

# proto/gymhost/v1/spaces.proto's Dtype -> struct format character (little-endian).
FORMATS = {
    "DTYPE_FLOAT32": "f",
    "DTYPE_FLOAT64": "d",
    "DTYPE_INT32": "i",
    "DTYPE_INT64": "q",
    "DTYPE_UINT8": "B",
}


def tensor_values(tensor: dict[str, Any]) -> Any:
    """The values of one Tensor in JSON form, as nested lists of its shape."""
    dtype = tensor.get("dtype", "DTYPE_UNSPECIFIED")
    if dtype not in FORMATS:
        raise ValueError(f"unknown tensor dtype {dtype!r}; known: {', '.join(FORMATS)}")
    shape = [int(n) for n in tensor.get("shape", [])]
    raw = base64.b64decode(tensor.get("data", ""))
    size = struct.calcsize(FORMATS[dtype])
    count = 1
    for n in shape:
        count *= n
    if len(raw) != count * size:
        raise ValueError(f"tensor of shape {shape} and dtype {dtype} needs {count * size} bytes, has {len(raw)}")
    flat = list(struct.unpack(f"<{count}{FORMATS[dtype]}", raw))
    if dtype == "DTYPE_FLOAT32":
        # float32 values printed with the digits float32 holds, not float64's.
        flat = [float(f"{v:.9g}") for v in flat]
    for n in reversed(shape[1:]):
        flat = [flat[i : i + n] for i in range(0, len(flat), n)]
    return flat if shape else flat[0]


def readable(value: Any) -> Any:
    """`value` with every Tensor-shaped object replaced by its values."""
    if isinstance(value, dict):
        if "dtype" in value and "data" in value and set(value) <= {"dtype", "shape", "data"}:
            return tensor_values(value)
        return {k: readable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [readable(v) for v in value]
    return value


def main() -> int:
    text = sys.stdin.read()
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return 0
        try:
            doc, pos = decoder.raw_decode(text, pos)
            print(json.dumps(readable(doc), separators=(", ", ": ")))
        except ValueError as err:
            print(f"tensor-json: {err}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
