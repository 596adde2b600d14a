"""Ed25519 signatures of remote cache entries: the key files, signing an entry, checking one.

A pusher holding the secret key (the file ``$TFJS_BUILD_CACHE_SIGNING_KEY`` names) signs each
entry it uploads; a reader with ``cache_trusted_keys`` restores only entries signed by one of
those public keys. What is signed is :func:`signed_message`: a fixed domain tag, the entry's key
and the manifest's canonical bytes (without its signature), so a signature vouches for one
manifest under one key and cannot be replayed under another. It travels inside the manifest, as
its ``signature`` field (:class:`SignatureRecord`): one object, written whole, so a reader never
sees a manifest and a signature of two different pushes.

Key files are one line of text (``tfjs-build-cache-ed25519-public:<base64>``), read with the
standard library; signing and checking import the ``cryptography`` package (the ``sign`` extra)
on first use, so nothing else pays for it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from tfjs_build.errors import ConfigError, MissingDependencyError, UsageError

SIGNING_KEY_ENV = "TFJS_BUILD_CACHE_SIGNING_KEY"
"""The environment variable naming the secret key's file (never the configuration)."""
PUBLIC_FILE = "cache.pub"
SECRET_FILE = "cache.key"
_PUBLIC_PREFIX = "tfjs-build-cache-ed25519-public:"
_SECRET_PREFIX = "tfjs-build-cache-ed25519-secret:"
_DOMAIN = b"tfjs-build cache entry v1\x00"
_ALGORITHM = "ed25519"
_INSTALL = "install it with: pip install 'tfjs-build[sign]'"


class SignatureRecord(TypedDict):
    """A manifest's ``signature`` field."""

    algorithm: str
    key_id: str
    signature: str


class Unsigned(Exception):
    """An entry without a valid signature by a trusted key; the message says why."""


@dataclass(frozen=True)
class PublicKey:
    """A trusted public key and the file it came from."""

    raw: bytes
    origin: str

    @property
    def key_id(self) -> str:
        """A short name of the key, recorded with each signature it makes."""
        return key_id(self.raw)


@dataclass(frozen=True)
class SecretKey:
    """A signing key (its 32-byte seed and its public half) and the file it came from."""

    seed: bytes
    public: bytes
    origin: str


def key_id(public: bytes) -> str:
    """The first 16 hex digits of the sha256 of a raw public key."""
    return hashlib.sha256(public).hexdigest()[:16]


def signed_message(key: str, manifest: bytes) -> bytes:
    """The bytes a signature covers: the domain tag, the entry's key, the manifest's canonical
    bytes (without its signature)."""
    return _DOMAIN + key.encode("ascii") + b"\x00" + manifest


def _ed25519() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise MissingDependencyError(
            f"signed cache entries need the cryptography package; {_INSTALL}"
        ) from None
    return ed25519


# ------------------------------------------------------------------------------ key files
def _key_bytes(text: str, prefix: str, size: int) -> bytes | None:
    line = text.strip()
    if not line.startswith(prefix):
        return None
    try:
        raw = base64.b64decode(line.removeprefix(prefix), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


def _read_key_file(path: Path, where: str, hint: str) -> str:
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ConfigError(f"{where}: {path} does not exist; {hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a key file"
        raise ConfigError(f"{where}: cannot read {path}: {reason}; {hint}") from None


def load_public_key(path: Path, shown: str) -> PublicKey:
    """The public key in ``path`` (``shown`` as the user wrote it in ``cache_trusted_keys``)."""
    where = f"cache_trusted_keys {shown!r}"
    hint = f"list the {PUBLIC_FILE} files `tfjs-build cache keygen DIR` writes"
    raw = _key_bytes(_read_key_file(path, where, hint), _PUBLIC_PREFIX, 32)
    if raw is None:
        raise ConfigError(f"{where}: {path} is not a tfjs-build cache public key; {hint}")
    return PublicKey(raw, shown)


def trusted_keys(root: Path, paths: tuple[str, ...]) -> tuple[PublicKey, ...]:
    """The keys ``cache_trusted_keys`` lists, paths relative to the project ``root``."""
    return tuple(load_public_key(root / Path(p).expanduser(), p) for p in paths)


def signing_key_from_env(environ: dict[str, str] | None = None) -> SecretKey | None:
    """The secret key ``$TFJS_BUILD_CACHE_SIGNING_KEY`` names; None when it is unset or empty.
    Read with the standard library (``check`` reads it too); :func:`sign` checks its halves."""
    value = (os.environ if environ is None else environ).get(SIGNING_KEY_ENV, "")
    if not value:
        return None
    where = f"{SIGNING_KEY_ENV}={value}"
    hint = f"point it at the {SECRET_FILE} that `tfjs-build cache keygen DIR` writes"
    raw = _key_bytes(_read_key_file(Path(value), where, hint), _SECRET_PREFIX, 64)
    if raw is None:
        raise ConfigError(f"{where}: not a tfjs-build cache secret key; {hint}")
    return SecretKey(raw[:32], raw[32:], where)


def _public_half(seed: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    public = _ed25519().Ed25519PrivateKey.from_private_bytes(seed).public_key()
    raw: bytes = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw


def generate_keys(directory: Path) -> tuple[Path, Path]:
    """Write a new key pair as ``directory/cache.key`` (readable by its owner only) and
    ``directory/cache.pub``; existing files are never overwritten."""
    ed25519 = _ed25519()
    from cryptography.hazmat.primitives import serialization

    secret_path, public_path = directory / SECRET_FILE, directory / PUBLIC_FILE
    for path in (secret_path, public_path):
        if path.exists():
            raise UsageError(f"{path} exists already; keygen never replaces a key")
    seed = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = _public_half(seed)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as writer:
            writer.write(_SECRET_PREFIX + base64.b64encode(seed + public).decode() + "\n")
        public_path.write_text(_PUBLIC_PREFIX + base64.b64encode(public).decode() + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write the key pair into {directory}: {exc.strerror}") from None
    return secret_path, public_path


# ---------------------------------------------------------------------- signing, checking
def sign(secret: SecretKey, key: str, manifest: bytes) -> SignatureRecord:
    """The signature of ``key``'s ``manifest`` (its canonical bytes); :class:`ConfigError` if the
    key file's halves disagree (it is damaged)."""
    if _public_half(secret.seed) != secret.public:
        raise ConfigError(
            f"{secret.origin}: the key file is damaged (its halves disagree); make a new pair "
            "with `tfjs-build cache keygen DIR`"
        )
    private = _ed25519().Ed25519PrivateKey.from_private_bytes(secret.seed)
    signature = private.sign(signed_message(key, manifest))
    return SignatureRecord(
        algorithm=_ALGORITHM,
        key_id=key_id(secret.public),
        signature=base64.b64encode(signature).decode("ascii"),
    )


def check_signature(
    trusted: tuple[PublicKey, ...], key: str, manifest: bytes, record: object
) -> None:
    """Raise :class:`Unsigned` unless ``record`` (a manifest's ``signature`` field, None when it
    has none) is a valid signature of ``key``'s ``manifest`` (its canonical bytes) by one of the
    ``trusted`` keys."""
    if record is None:
        raise Unsigned("it is not signed")
    try:
        if not isinstance(record, dict) or record.get("algorithm") != _ALGORITHM:
            raise ValueError
        signer, encoded = record["key_id"], record["signature"]
        signature = base64.b64decode(encoded, validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise Unsigned("its signature is malformed") from None
    candidates = [k for k in trusted if k.key_id == signer]
    if not candidates:
        raise Unsigned(f"it is signed by key {str(signer)[:16]!r}, not a trusted one")
    ed25519 = _ed25519()
    from cryptography.exceptions import InvalidSignature

    for public in candidates:
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(public.raw).verify(
                signature, signed_message(key, manifest)
            )
            return
        except InvalidSignature:
            continue
    raise Unsigned(f"its signature by {candidates[0].origin} does not match it")
