"""Benchmark: what signed entries cost a remote cache, on moto's S3 server.

``--entries`` small entries (inline files, one object each) are pushed twice to one bucket: once
unsigned, once signed (the signature inside each manifest). Then, in turns over ``--runs`` rounds,
one ``RemoteStore.read_entries`` of all the signed ones (in batches of 16, as a run reads them)
without trusted keys, and one with the key trusted (each signature checked with Ed25519). Reported: the median wall time of each and their ratio, and the push times.

    python bench/bench_cache_signing.py [--entries 256] [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.moto_server import s3_server  # noqa: E402
from tfjs_build.project.cache_signing import (  # noqa: E402
    SIGNING_KEY_ENV,
    generate_keys,
    load_public_key,
    signing_key_from_env,
)
from tfjs_build.project.remote_store import RemoteStore  # noqa: E402

BATCH = 16
PARITY = {"passed": True, "max_abs_error": 0.0, "backends": ["cpu"], "inputs": None}


def _artifact(directory: Path) -> dict[str, str]:
    directory.mkdir()
    files = {"model.json": b'{"format": "layers-model"}', "group1-shard1of1.bin": b"\x01" * 4096}
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _read_all(store: RemoteStore, keys: list[str]) -> None:
    for start in range(0, len(keys), BATCH):
        found = store.read_entries(keys[start : start + BATCH])
        assert all(isinstance(m, dict) for m in found.values()), found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=256)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, s3_server(Path(scratch) / "moto.log") as server:
        import os

        os.environ.update(server.env(Path(scratch)))
        bucket = server.new_bucket()
        secret_file, public_file = generate_keys(Path(scratch) / "keys")
        secret = signing_key_from_env({SIGNING_KEY_ENV: str(secret_file)})
        public = load_public_key(public_file, "keys/cache.pub")
        files = _artifact(Path(scratch) / "artifact")
        keys = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(args.entries)]
        stores = {
            "unsigned": RemoteStore(f"s3://{bucket}/unsigned"),
            "signed": RemoteStore(f"s3://{bucket}/signed", signer=secret),
        }
        for name, store in stores.items():

            def push(store: RemoteStore = store) -> None:
                for key in keys:
                    store.push(
                        key,
                        Path(scratch) / "artifact",
                        files,
                        format="layers",
                        parity=PARITY,  # type: ignore[arg-type]
                        source="m.h5",
                    )

            print(f"push {args.entries} entries, {name}: {_timed(push):.2f} s")
        readers = {
            "no trusted keys": RemoteStore(f"s3://{bucket}/signed"),
            "key trusted": RemoteStore(f"s3://{bucket}/signed", trusted=(public,)),
        }
        times: dict[str, list[float]] = {name: [] for name in readers}
        for _ in range(args.runs):
            for name, store in readers.items():
                times[name].append(_timed(lambda store=store: _read_all(store, keys)))
        medians = {name: statistics.median(values) for name, values in times.items()}
        for name, values in times.items():
            print(
                f"read {args.entries} entries, {name}: {medians[name]:.3f} s median "
                f"({min(values):.3f}-{max(values):.3f})"
            )
        ratio = medians["key trusted"] / medians["no trusted keys"]
        print(f"ratio, key trusted / no trusted keys: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
