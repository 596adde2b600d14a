"""The floor under a warm shard: list a remote cache's entries, download them, write them; no more.

Lists ``URL/v1/entries/`` and GETs every manifest there with obstore (16 at a time in threads:
as fast as its asynchronous calls against this server, which abort the interpreter at exit now
and then), writing each to OUT/<name>. No checks, no local cache, no artifacts: what a process
cannot go below to bring those objects to disk with the fastest client measured
(``bench/bench_remote_client.py`` fills the remote with exactly one shard's entries). Credentials
and endpoint from the AWS environment variables, as tfjs-build's own client takes them.

    python bench/remote_floor.py s3://bucket/prefix OUT
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

WORKERS = 16


def _download(url: str, out: Path) -> tuple[int, int]:
    from obstore import get, list_with_delimiter
    from obstore.store import from_url

    store = from_url(url, client_options={"allow_http": True})
    listed = list_with_delimiter(store, "v1/entries")

    def one(path: str) -> int:
        data = get(store, path).bytes()
        (out / path.rsplit("/", 1)[-1]).write_bytes(data)
        return len(data)

    with ThreadPoolExecutor(WORKERS) as pool:
        sizes = list(pool.map(one, [meta["path"] for meta in listed["objects"]]))
    return len(sizes), sum(sizes)


def main(argv: list[str]) -> int:
    url, out = argv
    Path(out).mkdir(parents=True, exist_ok=True)
    count, total = _download(url, Path(out))
    print(f"{count} objects, {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
