"""Benchmark: write, publish and read back a ~100 MB artifact (float32 and uint8), whole process.

Run: python bench/bench_artifact_io.py  — prints one line per case: seconds and peak RSS.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

CASE = """
import sys, time, resource
import numpy as np
from pathlib import Path
from tfjs_build.artifact import Artifact, publish_artifact, read_artifact, QuantizationPlan
mode, out = sys.argv[1], Path(sys.argv[2])
rng = np.random.default_rng(0)
weights = [(f"layer{i}/kernel", rng.standard_normal((1024, 1024), dtype=np.float32)) for i in range(25)]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
plan = QuantizationPlan("uint8") if mode == "uint8" else None
t0 = time.perf_counter()
publish_artifact(Artifact("layers-model", {}, weights), out, quantization=plan)
t1 = time.perf_counter()
peak_write = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
back = read_artifact(out)
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {base / 1024:.0f} {peak_write / 1024:.0f}")
"""


def main() -> int:
    print("case      weights_MB  publish_s  read_s  rss_before_MB  rss_after_write_MB")
    for mode in ("float32", "uint8"):
        with tempfile.TemporaryDirectory() as scratch:
            line = subprocess.run(
                [sys.executable, "-c", CASE, mode, f"{scratch}/out"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            publish_s, read_s, before, after = line
            print(f"{mode:9} {25 * 4:10}  {publish_s:>9}  {read_s:>6}  {before:>13}  {after:>18}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
