"""The remote cache's entry manifest (``v1/entries/<key>.json``): its JSON form, and the checks
every fetched entry passes before any of its bytes are used. Standard library only."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypedDict

from tfjs_build.artifact.format import MODEL_JSON
from tfjs_build.parity.record import ParitySummary, checked_summary


class _RemoteFileRequired(TypedDict):
    sha256: str
    size: int


class RemoteFile(_RemoteFileRequired, total=False):
    """One file of an entry: its hash and size, and its bytes (base64) when it is small."""

    data: str


class Manifest(TypedDict):
    """``v1/entries/<key>.json``: what an entry holds."""

    key: str
    format: str
    parity: ParitySummary
    source: str
    created: float
    total_bytes: int
    files: dict[str, RemoteFile]


class DamagedEntry(Exception):
    """A remote entry that is malformed, incomplete, or whose bytes do not match its hashes."""


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _safe_name(name: object) -> bool:
    return (
        isinstance(name, str)
        and Path(name).name == name
        and name not in ("", ".", "..")
        and "\\" not in name
    )


def _checked_file(name: str, value: object) -> RemoteFile:
    if not _safe_name(name):
        raise DamagedEntry(f"it names an unsafe file {name!r}")
    if not isinstance(value, dict):
        raise DamagedEntry(f"its record of {name} is not an object")
    sha, size, data = value.get("sha256"), value.get("size"), value.get("data")
    if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
        raise DamagedEntry(f"its record of {name} has no valid sha256")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise DamagedEntry(f"its record of {name} has no valid size")
    if data is not None and not isinstance(data, str):
        raise DamagedEntry(f"its record of {name} has data that is not text")
    checked = RemoteFile(sha256=sha, size=size)
    if data is not None:
        checked["data"] = data
    return checked


def parse_manifest(raw: bytes, key: str) -> Manifest:
    """The manifest of ``key`` from its bytes, checked; :class:`DamagedEntry` if it is not one."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise DamagedEntry("its manifest is not JSON") from None
    if not isinstance(document, dict) or document.get("key") != key:
        raise DamagedEntry("its manifest is for another key")
    files = document.get("files")
    if not isinstance(files, dict) or MODEL_JSON not in files:
        raise DamagedEntry(f"its manifest lists no {MODEL_JSON}")
    checked = {name: _checked_file(name, value) for name, value in files.items()}
    try:
        parity = checked_summary(document.get("parity"))
    except TypeError:
        raise DamagedEntry("its parity summary is malformed") from None
    fields = (document.get("format"), document.get("source"), document.get("created"))
    if not (isinstance(fields[0], str) and isinstance(fields[1], str)):
        raise DamagedEntry("its manifest has no format or source")
    if isinstance(fields[2], bool) or not isinstance(fields[2], (int, float)):
        raise DamagedEntry("its manifest has no creation time")
    return Manifest(
        key=key,
        format=fields[0],
        parity=parity,
        source=fields[1],
        created=float(fields[2]),
        total_bytes=sum(f["size"] for f in checked.values()),
        files=checked,
    )


def new_manifest(
    key: str, format: str, parity: ParitySummary, source: str, files: dict[str, RemoteFile]
) -> bytes:
    """The manifest of a new entry, encoded."""
    manifest = Manifest(
        key=key,
        format=format,
        parity=parity,
        source=source,
        created=time.time(),
        total_bytes=sum(f["size"] for f in files.values()),
        files=files,
    )
    return canonical(dict(manifest))


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes a manifest is written as (and signed in): sorted keys, JSON's default spacing."""
    return json.dumps(document, sort_keys=True).encode()


def with_signature(manifest: bytes, signature: Mapping[str, Any]) -> bytes:
    """``manifest`` (canonical bytes) with its ``signature`` field added."""
    return canonical({**json.loads(manifest), "signature": dict(signature)})


def unsigned_part(raw: bytes) -> tuple[bytes, object]:
    """A manifest's canonical bytes without its ``signature`` field, and that field (None when
    it has none); ``raw`` has passed :func:`parse_manifest`."""
    document = json.loads(raw)
    signature = document.pop("signature", None)
    return canonical(document), signature


def file_record(data: bytes, expected: str, inline_bytes: int) -> RemoteFile:
    """The record of a file whose bytes are ``data`` (sha256 ``expected``), carrying them when
    they are at most ``inline_bytes`` long."""
    record = RemoteFile(sha256=expected, size=len(data))
    if len(data) <= inline_bytes:
        record["data"] = base64.b64encode(data).decode("ascii")
    return record


def inline_data(name: str, record: RemoteFile) -> bytes:
    """The bytes a record carries; :class:`DamagedEntry` if they are not base64."""
    try:
        return base64.b64decode(record.get("data", ""), validate=True)
    except (binascii.Error, ValueError):
        raise DamagedEntry(f"{name} is not valid base64") from None


def write_checked(directory: Path, name: str, record: RemoteFile, data: bytes) -> None:
    """Write ``data`` as ``directory/name`` if it has the recorded size and sha256, else raise
    :class:`DamagedEntry` (nothing written)."""
    if len(data) != record["size"]:
        raise DamagedEntry(f"{name} has {len(data)} bytes, not {record['size']}")
    if sha256_hex(data) != record["sha256"]:
        raise DamagedEntry(f"{name} does not match its sha256")
    (directory / name).write_bytes(data)
