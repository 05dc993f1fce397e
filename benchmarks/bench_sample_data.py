"""Sample-data generator throughput per system: rows/s and peak memory.

Each system is generated in its own process (so peak RSS is per system) into a
temporary folder; rows are the intermediate-table rows of truth.json (migrated,
rejected and excluded).

    python benchmarks/bench_sample_data.py [--cases 10000] [--systems klibnet tutoris]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SYSTEMS = ("klibnet", "kiss", "tutoris", "custom")


def child(system: str, cases: int) -> None:
    from nffs_migration.sample_data.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        source = generate(system, Path(tmp) / "src", cases=cases, seed=1)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
    rows = sum(
        c["migrated"] + c["rejected"] + c["excluded"] for c in source.truth["expected"].values()
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_rss_mib": peak, "bytes": size}))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--systems", nargs="*", default=list(SYSTEMS))
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.cases)
        return
    print(f"{args.cases:,} cases per system")
    for system in args.systems:
        result = subprocess.run(
            [sys.executable, __file__, "--child", system, "--cases", str(args.cases)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            print(f"  {system:8} failed: {result.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(result.stdout.strip().splitlines()[-1])
        rate = r["rows"] / r["seconds"]
        print(
            f"  {system:8} {r['rows']:>10,} rows  {r['seconds']:7.1f} s  {rate:>9,.0f} rows/s"
            f"  peak RSS {r['peak_rss_mib']:6.0f} MiB  {r['bytes'] / 2**20:7.1f} MiB on disk"
        )


if __name__ == "__main__":
    main()
