"""Tutoris extraction throughput and memory against a bare lxml iterparse of the same file.

Generates a Tutoris export of N cases once (about 20 KB per case: 50,000 cases are
about 1 GB; kept in a cache folder), then, each in its own process so that peak RSS is
per contender:
- bare: `lxml.etree.iterparse` over every element, clearing each record and deleting
  its predecessors, nothing else;
- ours: `extract_package` (reading, in two processes for an export of 64 MiB or more
  on two cores, mapping, normalisation, exclusion, rejects, findings, Parquet,
  documents copied and checksummed).
Prints MB/s (wall and CPU, ours with its second process's), rows/s and peak RSS for
both, the time of reading the
export (the one pass over the file, raw chunks parked) and of copying documents, and the
ratio against the target (ours at least half the bare MB/s).

    python benchmarks/bench_extract_tutoris.py [--cases 50000] [--cache /tmp/nffs-bench]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path


def source_dir(cache: Path, cases: int) -> Path:
    folder = cache / f"tutoris-{cases}"
    if not (folder / "truth.json").exists():
        from nffs_migration.sample_data.generate import generate

        if folder.exists():
            shutil.rmtree(folder)
        started = time.perf_counter()
        generate("tutoris", folder, cases=cases, seed=1)
        seconds = time.perf_counter() - started
        print(f"generated a tutoris export with {cases:,} cases in {seconds:.0f} s")
    return folder


def run_bare(folder: Path) -> dict:
    from lxml import etree

    path = folder / "export.xml"
    elements = 0
    started, cpu = time.perf_counter(), time.process_time()
    for _, element in etree.iterparse(
        str(path), events=("end",), resolve_entities=False, no_network=True, load_dtd=False
    ):
        elements += 1
        if element.tag in ("MA", "Person", "Fall"):
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
    return {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "rows": elements,
    }


def run_ours(folder: Path) -> dict:
    from nffs_migration.extractors import get_extractor
    from nffs_migration.extractors import run as framework
    from nffs_migration.extractors.run import extract_package
    from nffs_migration.extractors.tutoris import extractor as tutoris

    truth = json.loads((folder / "truth.json").read_text())
    extractor = get_extractor("tutoris")
    options = extractor.options_class(
        source=str(folder / "export.xml"),
        documents=folder,
        service_id="0942",
        as_of=datetime.fromisoformat(truth["generator"]["as_of"]),
    )
    spent = {"reading": 0.0, "documents": 0.0}

    def timed(function, label):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started

        return wrapper

    tutoris._Run._read = timed(tutoris._Run._read, "reading")
    framework.ExtractContext.add_documents = timed(
        framework.ExtractContext.add_documents, "documents"
    )
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        started, cpu, helper = time.perf_counter(), time.process_time(), _children_cpu()
        result = extract_package(extractor, options, Path(tmp) / "package")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    helper = _children_cpu() - helper
    read = sum(counts.read for counts in result.manifest.accounting.values())
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "cpu": cpu + helper,
        "helper_cpu": helper,
        "helper_rss_mib": children,
        "rows": read,
        **spent,
    }


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (the second part of a split reading)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "nffs-bench")
    parser.add_argument("--child", choices=["bare", "ours"])
    args = parser.parse_args()
    folder = source_dir(args.cache, args.cases)
    if args.child:
        result = (run_bare if args.child == "bare" else run_ours)(folder)
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    size_mb = (folder / "export.xml").stat().st_size / 1e6
    results = {}
    for mode in ("bare", "ours"):
        command = [sys.executable, __file__, "--child", mode, "--cases", str(args.cases)]
        command += ["--cache", str(args.cache)]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        results[mode] = json.loads(output.strip().splitlines()[-1])
    print(f"tutoris, {args.cases:,} cases, export.xml {size_mb:,.0f} MB")
    for mode, result in results.items():
        print(
            f"  {mode:5} {result['seconds']:7.1f} s wall {size_mb / result['seconds']:6.1f} MB/s"
            f"  {result['cpu']:7.1f} s CPU {size_mb / result['cpu']:6.1f} MB/s"
            f"  {result['rows'] / result['seconds']:>9,.0f} rows/s"
            f"  peak RSS {result['peak_rss_mib']:6.0f} MiB"
        )
    bare, ours = results["bare"], results["ours"]
    print(
        f"  of which reading the export {ours['reading']:.1f} s, copying documents "
        f"{ours['documents']:.1f} s"
    )
    if ours["helper_cpu"]:
        print(
            f"  the export's second part read by a second process: {ours['helper_cpu']:.1f} s "
            f"CPU (counted in ours), peak RSS {ours['helper_rss_mib']:.0f} MiB"
        )
    without = ours["seconds"] - ours["documents"]
    print(f"  ours without copying documents: {size_mb / without:.1f} MB/s wall")
    ratio = (size_mb / without) / (size_mb / bare["seconds"])
    # Wall time only: our CPU counts the copying threads' and the second process's, and
    # the copying's CPU cannot be told apart from its wall time.
    print(f"  ours / bare MB/s: {ratio:.2f} wall (target: at least 0.5)")


if __name__ == "__main__":
    main()
