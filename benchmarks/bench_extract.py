"""Extraction throughput and memory: our extractor against read_sql + to_parquet.

Generates a KLIBnet (or KiSS) source of N cases once (kept in a cache folder), then,
each in its own process so peak RSS is per contender:
- ours: `extract_package` (mapping, normalisation, exclusion, rejects, documents, checksums);
- baseline: `pandas.read_sql` in chunks + `to_parquet` of every source table, nothing else.
Prints rows/s per source table for ours, totals for both and the ratio (target: within
3x of the baseline), and peak RSS (target: under 1.5 GiB at 100,000 cases).

    python benchmarks/bench_extract.py [--system klibnet] [--cases 20000] [--cache /tmp/nffs-bench]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

SOURCES = {"klibnet": ("klibnet.sqlite", "share"), "kiss": ("kiss.sqlite", "share")}


def source_dir(cache: Path, system: str, cases: int) -> Path:
    folder = cache / f"{system}-{cases}"
    if not (folder / "truth.json").exists():
        from nffs_migration.sample_data.generate import generate

        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        started = time.perf_counter()
        generate(system, folder, cases=cases, seed=1)
        seconds = time.perf_counter() - started
        print(f"generated {system} source with {cases:,} cases in {seconds:.0f} s")
    return folder


def run_ours(folder: Path, system: str) -> dict:
    from nffs_migration.extractors import get_extractor
    from nffs_migration.extractors.run import extract_package

    truth = json.loads((folder / "truth.json").read_text())
    database, share = SOURCES[system]
    extractor = get_extractor(system)
    options = extractor.options_class(
        source=f"sqlite:///{folder / database}",
        documents=folder / share,
        service_id="0942",
        as_of=datetime.fromisoformat(truth["generator"]["as_of"]),
    )
    times: dict[str, list[float]] = {}
    rows: dict[str, int] = {}
    clock = {"last": time.perf_counter()}

    def progress(table: str, source_table: str, read: int) -> None:
        now = time.perf_counter()
        times.setdefault(source_table, []).append(now - clock["last"])
        rows[source_table] = read
        clock["last"] = now

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = extract_package(extractor, options, Path(tmp) / "package", progress=progress)
        seconds = time.perf_counter() - started
    read = sum(c.read for c in result.manifest.accounting.values())
    return {"seconds": seconds, "rows": read, "tables": {t: (rows[t], sum(times[t])) for t in rows}}


def run_baseline(folder: Path, system: str) -> dict:
    import pandas as pd
    import sqlalchemy as sa

    database, _ = SOURCES[system]
    engine = sa.create_engine(f"sqlite:///{folder / database}")
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        with engine.connect() as connection:
            names = sa.inspect(engine).get_table_names()
            for name in names:
                query = sa.text(f'select * from "{name}"')  # noqa: S608 - names from the database
                for index, chunk in enumerate(pd.read_sql(query, connection, chunksize=50_000)):
                    chunk.to_parquet(Path(tmp) / f"{name}-{index}.parquet", compression="zstd")
                    total += len(chunk)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": total}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--system", default="klibnet", choices=sorted(SOURCES))
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "nffs-bench")
    parser.add_argument("--child", choices=["ours", "baseline"])
    args = parser.parse_args()
    folder = source_dir(args.cache, args.system, args.cases)
    if args.child:
        result = (run_ours if args.child == "ours" else run_baseline)(folder, args.system)
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    results = {}
    for mode in ("ours", "baseline"):
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                mode,
                "--system",
                args.system,
                "--cases",
                str(args.cases),
                "--cache",
                str(args.cache),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[mode] = json.loads(output.strip().splitlines()[-1])
    ours, baseline = results["ours"], results["baseline"]
    print(f"{args.system}, {args.cases:,} cases, {ours['rows']:,} source rows")
    for table, (rows, seconds) in sorted(ours["tables"].items()):
        print(f"  {table:20} {rows:>10,} rows  {rows / max(seconds, 1e-9):>10,.0f} rows/s")
    for mode, result in results.items():
        rate = result["rows"] / result["seconds"]
        rss = result["peak_rss_mib"]
        print(
            f"  {mode:8} {result['seconds']:7.1f} s  {rate:>9,.0f} rows/s  peak RSS {rss:6.0f} MiB"
        )
    ratio = ours["seconds"] / baseline["seconds"]
    print(f"  ratio ours / baseline: {ratio:.2f}x the time (target: within 3x)")
    documents = sum(
        s for t, (_, s) in ours["tables"].items() if t in ("tblDokument", "DmtDokument")
    )
    tables_only = (ours["seconds"] - documents) / baseline["seconds"]
    print(f"  without copying document files (which the baseline does not do): {tables_only:.2f}x")


if __name__ == "__main__":
    main()
