"""Reading a StepBatch answer's tensors straight from the answer's bytes.

A StepStreamResponse carrying a StepBatchResponse is six Tensor messages (dtype, shape,
data) of which the data is nearly all of the bytes. Parsing it into messages and then
reading each ``Tensor.data`` copies every byte twice more (the generated code hands out
each bytes field as a new ``bytes`` object); reading the protobuf framing here instead
(about 25 varints) gives each tensor's place in the answer, and NumPy reads it from there.

Anything this reader does not expect (an inline error, another payload, a field seen twice,
a tensor whose data length does not fit its dtype) makes it answer None, and the caller
parses the bytes with the generated code, which keeps its behaviour for every other case.
"""

from __future__ import annotations

from typing import NamedTuple


class TensorAt(NamedTuple):
    """A Tensor message inside a buffer: its wire dtype, its shape and where its data is."""

    dtype: int
    shape: tuple[int, ...]
    offset: int
    nbytes: int


def _varint(buf: bytes, i: int, end: int) -> tuple[int, int]:
    """The varint at ``buf[i]`` and the index after it; IndexError/ValueError when malformed."""
    if i >= end:
        raise IndexError(i)
    b = buf[i]
    if b < 0x80:
        return b, i + 1
    result = b & 0x7F
    shift = 7
    i += 1
    while True:
        if i >= end or shift > 63:
            raise ValueError("malformed varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _skip(buf: bytes, i: int, end: int, wire_type: int) -> int:
    """The index after a field of ``wire_type`` whose value starts at ``i``."""
    if wire_type == 0:
        return _varint(buf, i, end)[1]
    if wire_type == 1:
        i += 8
    elif wire_type == 2:
        n, i = _varint(buf, i, end)
        i += n
    elif wire_type == 5:
        i += 4
    else:  # groups (3, 4) and invalid wire types
        raise ValueError("unexpected wire type")
    if i > end:
        raise ValueError("truncated field")
    return i


def _tensor(buf: bytes, i: int, end: int) -> TensorAt:
    dtype = 0
    shape: list[int] = []
    offset = end
    nbytes = 0
    while i < end:
        key, i = _varint(buf, i, end)
        field, wire_type = key >> 3, key & 7
        if field == 1 and wire_type == 0:
            dtype, i = _varint(buf, i, end)
        elif field == 2 and wire_type == 2:  # packed shape
            n, i = _varint(buf, i, end)
            stop = i + n
            if stop > end:
                raise ValueError("truncated shape")
            while i < stop:
                d, i = _varint(buf, i, stop)
                shape.append(d)
        elif field == 2 and wire_type == 0:  # unpacked shape
            d, i = _varint(buf, i, end)
            shape.append(d)
        elif field == 3 and wire_type == 2:
            nbytes, i = _varint(buf, i, end)
            offset = i
            i += nbytes
            if i > end:
                raise ValueError("truncated data")
        else:
            i = _skip(buf, i, end, wire_type)
    if dtype >= 1 << 31 or any(d >= 1 << 63 for d in shape):
        raise ValueError("out-of-range dtype or dimension")  # the generated code would read these as negative
    return TensorAt(dtype, tuple(shape), offset, nbytes)


def step_batch_tensors(buf: bytes) -> dict[int, TensorAt] | None:
    """The tensors of a serialized StepStreamResponse whose payload is a StepBatchResponse,
    by StepBatchResponse field number (1 observations, 2 rewards, 3 terminated, 4 truncated,
    5 reset_mask, 6 final_observations; absent ones are missing); None for any other answer,
    or for bytes this reader does not handle (then parse them with the generated code)."""
    try:
        end = len(buf)
        key, i = _varint(buf, 0, end)
        if key != (3 << 3 | 2):  # StepStreamResponse.step_batch, length-delimited
            return None
        n, i = _varint(buf, i, end)
        stop = i + n
        if stop != end:  # anything after the payload (another field, a repeated oneof): not ours
            return None
        tensors: dict[int, TensorAt] = {}
        while i < stop:
            key, i = _varint(buf, i, stop)
            field, wire_type = key >> 3, key & 7
            if 1 <= field <= 6 and wire_type == 2:
                if field in tensors:  # a message field seen twice merges: leave it to protobuf
                    return None
                n, i = _varint(buf, i, stop)
                if i + n > stop:
                    return None
                tensors[field] = _tensor(buf, i, i + n)
                i += n
            else:
                i = _skip(buf, i, stop, wire_type)
        return tensors
    except (IndexError, ValueError):
        return None


class StepBatchReader:
    """:func:`step_batch_tensors` for a stream of answers of one vector session, which all
    have the same layout: only the tensors' data differ from step to step. It keeps the
    last answer's framing (every byte outside the tensors' data) and, when the next answer
    has the same size and the same framing, answers the same places without parsing again.
    That is exact: the parse reads only those bytes (data is skipped by its length), so
    equal framing at equal positions parses to equal places. The dict returned is shared
    between calls: read it, do not change it."""

    __slots__ = ("_size", "_framing", "_tensors")

    def __init__(self) -> None:
        self._size = -1
        self._framing: tuple[tuple[int, bytes], ...] = ()
        self._tensors: dict[int, TensorAt] | None = None

    def __call__(self, buf: bytes) -> dict[int, TensorAt] | None:
        if len(buf) == self._size:
            starts = buf.startswith
            for at, framing in self._framing:
                if not starts(framing, at):
                    break
            else:
                return self._tensors
        tensors = step_batch_tensors(buf)
        if tensors is None:
            self._size = -1
            return None
        framing = []
        at = 0
        for t in sorted(tensors.values(), key=lambda t: t.offset):
            if t.nbytes:
                framing.append((at, buf[at : t.offset]))
                at = t.offset + t.nbytes
        framing.append((at, buf[at:]))
        self._size, self._framing, self._tensors = len(buf), tuple(framing), tensors
        return tensors
