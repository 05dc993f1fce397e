"""Package writer throughput and peak memory against a bare `pyarrow.parquet.write_table`.

Writes one 12-column table (`addresses`) of N rows (default 5 million) through
`PackageWriter` in chunks, and the same rows with a bare `pq.write_table` (zstd), each in
its own process so that peak RSS is measured per contender. Prints rows/s, the ratio of
the two and the peak RSS. Target: at least 0.7 million rows/s, peak RSS under 1 GiB.

    python benchmarks/bench_package_writer.py [--rows 5000000] [--chunk 250000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from nffs_migration.intermediate_format import TABLES

SCHEMA = TABLES["addresses"].arrow_schema


def chunks(rows: int, chunk: int) -> Iterator[pa.Table]:
    """Deterministic address rows, generated chunk by chunk."""
    rng = np.random.default_rng(42)
    streets = np.array(
        [f"{name}strasse" for name in ("Bahnhof", "Haupt", "Kirch", "Dorf", "See", "Berg")]
    )
    towns = np.array(["Bern", "Thun", "Biel/Bienne", "Köniz", "Burgdorf", "Langenthal"])
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        keys = np.arange(start, start + n).astype(str)
        persons = rng.integers(1, rows // 3 + 2, n).astype(str)
        start_days = rng.integers(0, 15 * 365, n) + 12_000
        yield pa.table(
            {
                "address_id": pa.array(np.char.add("0942:klibnet:", keys)),
                "source_system": pa.array(np.full(n, "klibnet")),
                "source_key": pa.array(keys),
                "service_id": pa.array(np.full(n, "0942")),
                "person_id": pa.array(np.char.add("0942:klibnet:", persons)),
                "street": pa.array(streets[rng.integers(0, len(streets), n)]),
                "house_number": pa.array(rng.integers(1, 200, n).astype(str)),
                "postal_code": pa.array(rng.integers(1000, 9999, n).astype(str)),
                "town": pa.array(towns[rng.integers(0, len(towns), n)]),
                "commune_number": pa.array(rng.integers(1, 999, n), pa.int64()),
                "valid_from": pa.array(start_days.astype("int32"), pa.date32()),
                "valid_to": pa.array(
                    (start_days + rng.integers(30, 4000, n)).astype("int32"), pa.date32()
                ),
            },
            schema=SCHEMA,
        )


def run_ours(rows: int, chunk: int, out: Path) -> dict[str, float]:
    from nffs_migration.intermediate_format import PackageWriter

    elapsed = 0.0
    with PackageWriter(
        out / "package", service_id="0942", source_system="klibnet", data_as_of=datetime.now(UTC)
    ) as writer:
        for table in chunks(rows, chunk):
            started = time.perf_counter()
            writer.write("addresses", table)
            elapsed += time.perf_counter() - started
        writer.account("tblAdresse", read=rows, migrated=rows)
        started = time.perf_counter()
    elapsed += time.perf_counter() - started  # close: checksums, manifest, rename
    return {"seconds": elapsed}


def run_bare(rows: int, chunk: int, out: Path) -> dict[str, float]:
    import pyarrow.parquet as pq

    table = pa.concat_tables(list(chunks(rows, chunk)))
    started = time.perf_counter()
    pq.write_table(table, out / "bare.parquet", compression="zstd")
    return {"seconds": time.perf_counter() - started}


def child(mode: str, rows: int, chunk: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = (run_ours if mode == "ours" else run_bare)(rows, chunk, Path(tmp))
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--chunk", type=int, default=250_000)
    parser.add_argument("--child", choices=["ours", "bare"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.chunk)
        return
    results = {}
    for mode in ("ours", "bare"):
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                mode,
                "--rows",
                str(args.rows),
                "--chunk",
                str(args.chunk),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[mode] = json.loads(output.strip().splitlines()[-1])
    ours, bare = results["ours"], results["bare"]
    print(f"table: addresses, 12 columns, {args.rows:,} rows, chunks of {args.chunk:,}")
    for mode, result in results.items():
        rate = args.rows / result["seconds"]
        seconds, rss = result["seconds"], result["peak_rss_mib"]
        print(f"  {mode:5} {seconds:7.2f} s  {rate / 1e6:5.2f} M rows/s  peak RSS {rss:7.0f} MiB")
    ratio = ours["seconds"] / bare["seconds"]
    print(f"  ratio PackageWriter / bare write_table: {ratio:.2f}x the time")


if __name__ == "__main__":
    main()
