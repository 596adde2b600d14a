"""Read an uncompressed ``.keras`` archive member in place: a seekable window onto the archive.

h5py opens Python file objects, and a stored (not deflated) member is a contiguous byte range of
the archive, so the weights file needs neither extraction nor a copy in memory; its contiguous
datasets can then be read straight from the archive with one positional read each.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from typing import BinaryIO

_LOCAL_HEADER = struct.Struct("<4s22sHH")  # signature, fixed fields, name length, extra length
_LOCAL_SIGNATURE = b"PK\x03\x04"


def stored_member_offset(stream: BinaryIO, info: zipfile.ZipInfo) -> int | None:
    """Where the bytes of ``info`` start in the archive, when stored uncompressed and unencrypted."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        return None
    stream.seek(info.header_offset)
    header = stream.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        return None
    signature, _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_SIGNATURE:
        return None
    return int(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)


class FileWindow(io.RawIOBase):
    """Bytes ``[start, start + size)`` of an open binary file, as a read-only seekable file."""

    def __init__(self, stream: BinaryIO, start: int, size: int) -> None:
        super().__init__()
        self._stream = stream
        self._start = start
        self._size = size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), self._size - self._position)
        if wanted <= 0:
            return 0
        self._stream.seek(self._start + self._position)
        got = self._stream.readinto(view[:wanted])  # type: ignore[attr-defined]
        self._position += got
        return int(got)
