"""One KLIBnet service end to end: extract, validate, load into PostgreSQL, reconcile.

For each size (default 10,000 and 100,000 cases) a KLIBnet source is generated once and
kept in `<cache>/klibnet-<cases>/` (the same folders as `bench_extract.py`); then the
migration runs its steps as `nffs-migrate` and the flow chain them, each step in its
own process so that CPU and peak RSS are per step:

- extract: `extract_package` of the source into a package (documents included);
- validate: `validate_package`, reports written into the package (the loader's gate
  reads them);
- load: `init_target` of a fresh PostgreSQL database (`nffs_bench_<uuid>`, dropped
  afterwards), then `load_package` with its validation gate (`validate=True`) and a
  documents store in a temporary folder; if the gate refuses the package the refusal
  is printed and the load measured with `validate=False`;
- reconcile: `reconcile_package`; a target that does not match the package is an
  error (exit 1, after all sizes ran).

Per step: seconds (inside the step's process, without starting Python), rows/s (source
rows for extract, package rows for the others), CPU seconds of the client and, for
load and reconcile, of the PostgreSQL backends serving it (and their parallel workers,
read from /proc: the server must run on this host), peak RSS; the 1-minute load
average is sampled every 2 s (the machine is shared). For the whole: seconds of all
steps (generation excluded), the largest peak RSS, and the time per source row at the
largest size against the smallest. Targets: 100,000 cases in at most 10 minutes and
2 GiB peak RSS, time per row at 100,000 within 20% of that at 10,000. Nothing here
asserts a timing.

    python benchmarks/bench_service.py [--cases 10000,100000] [--cache /tmp/nffs-bench]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench_extract import SOURCES, source_dir  # (benchmarks/ is on sys.path: run as scripts)
from bench_load import DEFAULT_PG, Postgres, commit_phase, fresh_target, instrument_load

SYSTEM = "klibnet"
STEPS = ("extract", "validate", "load", "reconcile")
TARGET_SECONDS = 600.0  # 100,000 cases in at most 10 minutes
TARGET_RSS_MIB = 2048.0  # and 2 GiB peak RSS
TARGET_CASES = 100_000
TARGET_PER_ROW = 1.2  # time per row at the largest size within 20% of the smallest


# --------------------------------------------------------------------------------------
# server CPU: the PostgreSQL processes that serve this step (same host)


def _cpu_of(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """CPU seconds of the backends connected to one database and of their parallel workers.

    A thread scans /proc every half second (a backend's title names its database, a
    parallel worker's names its leader); the pool's check-in reads a backend once more
    at the end of its use. A parallel worker that lives less than half a second is
    missed.
    """

    def __init__(self, database: str) -> None:
        self.database = database
        self.seconds: dict[int, float] = {}
        self.backends: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        import sqlalchemy as sa

        def checkin(dbapi_connection: Any, _record: Any) -> None:
            info = getattr(dbapi_connection, "info", None)
            if info is not None and hasattr(info, "backend_pid"):
                self.backends.add(info.backend_pid)
                self._read(info.backend_pid)

        sa.event.listen(sa.pool.Pool, "checkin", checkin)
        self._thread.start()

    def _read(self, pid: int) -> None:
        seconds = _cpu_of(pid)
        if seconds is not None:
            self.seconds[pid] = max(self.seconds.get(pid, 0.0), seconds)

    def scan(self) -> None:
        """Read the CPU of every process that serves the database now."""
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                title = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if not title.startswith("postgres: "):
                continue
            pid = int(entry.name)
            if f" {self.database} " in title:
                self.backends.add(pid)
            elif "parallel worker for PID" in title:
                leader = title.rsplit("PID", 1)[1].split()[0]
                if not (leader.isdigit() and int(leader) in self.backends):
                    continue
            else:
                continue
            self._read(pid)

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            self.scan()

    def stop(self) -> float:
        """Stop watching; the CPU seconds of all of them."""
        self._stop.set()
        self._thread.join()
        self.scan()
        return sum(self.seconds.values())


# --------------------------------------------------------------------------------------
# the steps (each runs in a child process)


def step_extract(source: Path, package: Path) -> dict[str, Any]:
    from nffs_migration.extractors import get_extractor
    from nffs_migration.extractors.run import extract_package

    truth = json.loads((source / "truth.json").read_text())
    database, share = SOURCES[SYSTEM]
    extractor = get_extractor(SYSTEM)
    options = extractor.options_class(
        source=f"sqlite:///{source / database}",
        documents=source / share,
        service_id="0942",
        as_of=datetime.fromisoformat(truth["generator"]["as_of"]),
    )
    spent: dict[str, float] = {}
    clock = {"last": time.perf_counter()}

    def progress(_table: str, source_table: str, _read: int) -> None:
        now = time.perf_counter()
        spent[source_table] = spent.get(source_table, 0.0) + now - clock["last"]
        clock["last"] = now

    started = time.perf_counter()
    result = extract_package(extractor, options, package, progress=progress)
    seconds = time.perf_counter() - started
    manifest = result.manifest
    accounting = manifest.accounting.values()
    return {
        "seconds": seconds,
        "rows": sum(a.read for a in accounting),
        "source_rows": sum(a.read for a in accounting),
        "package_rows": sum(entry.rows for entry in manifest.tables.values()),
        "rejected": sum(a.rejected for a in accounting),
        "excluded": sum(a.excluded for a in accounting),
        "documents": manifest.documents.count,
        "document_mib": manifest.documents.bytes / 2**20,
        "extraction_findings": sum(result.findings.values()),
        "phases": dict(sorted(spent.items(), key=lambda item: -item[1])),
    }


def _package_rows(package: Path) -> int:
    from nffs_migration.intermediate_format.reader import open_package

    with open_package(package, verify_checksums=False) as opened:
        return sum(entry.rows for entry in opened.manifest.tables.values())


def step_validate(package: Path) -> dict[str, Any]:
    from nffs_migration.validators import validate_package

    started = time.perf_counter()
    report = validate_package(package).report
    seconds = time.perf_counter() - started
    by_rule: dict[str, dict[str, int]] = {}
    for finding in report.findings:
        counts = by_rule.setdefault(str(finding.severity), {})
        counts[finding.rule_id] = counts.get(finding.rule_id, 0) + 1
    return {
        "seconds": seconds,
        "rows": _package_rows(package),
        "summary": report.summary,
        "by_rule": by_rule,
    }


def step_load(package: Path, url: str, store: Path, server: ServerCpu) -> dict[str, Any]:
    """init_target, then load_package through its validation gate (phases timed)."""
    from nffs_migration.errors import DataErrors
    from nffs_migration.loaders import load as load_module

    init_seconds = fresh_target(url)
    phases: dict[str, float] = {}
    instrument_load(phases)
    server.seconds.clear()  # init_target's backend is not part of the load
    gate_refused = None
    cpu = time.process_time()
    started = time.perf_counter()
    try:
        result = load_module.load_package(package, url, documents_store=store)
    except DataErrors as exc:
        gate_refused = f"{exc} (after {time.perf_counter() - started:.1f} s)"
        phases.clear()
        cpu = time.process_time()
        started = time.perf_counter()
        result = load_module.load_package(package, url, documents_store=store, validate=False)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    commit_phase(phases)
    # (the documents are stored during the transaction, on their own thread)
    phases["open and checks"] = seconds - sum(phases.get(k, 0.0) for k in ("gate", "transaction"))
    return {
        "seconds": seconds,
        "client_cpu_seconds": cpu,
        "init_seconds": init_seconds,
        "rows": sum(counts["rows"] for counts in result.rows.values()),
        "inserted": sum(counts["inserted"] for counts in result.rows.values()),
        "documents_new": result.documents_new,
        "already_loaded": result.already_loaded,
        "gate_refused": gate_refused,
        "phases": {k: v for k, v in phases.items() if ":" not in k},
    }


def step_reconcile(package: Path, url: str) -> dict[str, Any]:
    from nffs_migration.loaders import reconcile_package

    started = time.perf_counter()
    result = reconcile_package(package, url)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": sum(package_side.rows for package_side, _ in result.tables.values()),
        "target_rows": sum(target_side.rows for _, target_side in result.tables.values()),
        "tables": len(result.tables),
        "matches": result.matches,
        "differences": result.differences()[:20],
    }


def child(step: str, source: Path, package: Path, url: str) -> None:
    server = None
    if url:
        import sqlalchemy as sa

        server = ServerCpu(sa.make_url(url).database or "")
        server.start()
    # The toolkit imported before the CPU is read: the steps' seconds leave imports out too.
    import nffs_migration.extractors.run
    import nffs_migration.loaders
    import nffs_migration.validators  # noqa: F401

    before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    if step == "extract":
        result = step_extract(source, package)
    elif step == "validate":
        result = step_validate(package)
    elif step == "load":
        assert server is not None  # noqa: S101
        result = step_load(package, url, package.parent / "documents", server)
    else:
        result = step_reconcile(package, url)
    after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    used = sum(
        a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime
        for a, b in zip(after, before, strict=True)
    )
    result.setdefault("client_cpu_seconds", used)
    result["server_cpu_seconds"] = server.stop() if server is not None else 0.0
    result["peak_rss_mib"] = max(usage.ru_maxrss for usage in after) / 1024
    print(json.dumps(result))


# --------------------------------------------------------------------------------------
# the parent: sources, databases, child processes, figures


class LoadAverage:
    """The machine's 1-minute load average, sampled every two seconds in the background."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while True:
            self.samples.append((time.perf_counter(), os.getloadavg()[0]))
            if self._stop.wait(2.0):
                return

    def between(self, start: float, end: float) -> tuple[float, float]:
        """Min and max of the samples taken in [start, end] (or the one just before)."""
        values = [v for t, v in self.samples if start <= t <= end]
        if not values:
            values = [v for t, v in self.samples if t <= end][-1:] or [os.getloadavg()[0]]
        return min(values), max(values)

    def stop(self) -> tuple[float, float]:
        self._stop.set()
        self._thread.join()
        return self.between(float("-inf"), float("inf"))


def run_step(step: str, source: Path, package: Path, url: str, load: LoadAverage) -> dict:
    arguments = [sys.executable, __file__, "--child", step, "--source", str(source)]
    arguments += ["--package", str(package), "--target", url]
    print(f"  {step} (load average {os.getloadavg()[0]:.1f}) ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    completed = subprocess.run(arguments, capture_output=True, text=True, check=False)
    finished = time.perf_counter()
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise RuntimeError(f"{step} failed with exit code {completed.returncode}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["process_seconds"] = finished - started
    result["load_average"] = load.between(started, finished)
    return result


def run_service(
    cases: int, cache: Path, work: Path, pg_url: str, load: LoadAverage
) -> dict[str, Any]:
    """Generate (cached) and migrate one service of `cases` cases into a fresh database.

    The package and the documents store stay in `work` until the end of the run: removing
    a few hundred thousand small files can take minutes (a file system mounted with
    `discard`), which should neither delay the figures nor overlap the next size.
    """
    cached = (cache / f"{SYSTEM}-{cases}" / "truth.json").exists()
    started = time.perf_counter()
    source = source_dir(cache, SYSTEM, cases)
    generated = None if cached else time.perf_counter() - started
    postgres = Postgres(pg_url)
    steps: dict[str, Any] = {}
    overhead: dict[str, float] = {}
    started = time.perf_counter()
    package = work / f"{SYSTEM}-{cases}" / "package"
    package.parent.mkdir()
    try:
        url = postgres.create()
        overhead["create database"] = time.perf_counter() - started
        for step in STEPS:
            target = url if step in ("load", "reconcile") else ""
            steps[step] = run_step(step, source, package, target, load)
    finally:
        dropping = time.perf_counter()
        postgres.drop_all()
        overhead["drop database"] = time.perf_counter() - dropping
    wall = time.perf_counter() - started
    return {
        "cases": cases,
        "generation_seconds": generated,  # None: from the cache
        "source_rows": steps["extract"]["source_rows"],
        "package_rows": steps["extract"]["package_rows"],
        "documents": steps["extract"]["documents"],
        "steps": steps,
        "seconds": sum(s["seconds"] for s in steps.values()),
        "wall_seconds": wall,
        "overhead_seconds": overhead,
        "peak_rss_mib": max(s["peak_rss_mib"] for s in steps.values()),
        "load_average": load.between(started, started + wall),
    }


def _line(label: str, result: dict[str, Any]) -> str:
    seconds = result["seconds"]
    cpu = f"{result['client_cpu_seconds']:6.1f}"
    cpu += f" + {result['server_cpu_seconds']:5.1f}" if result["server_cpu_seconds"] else " " * 8
    low, high = result["load_average"]
    return (
        f"  {label:10} {seconds:7.1f} s {result['rows'] / seconds:>10,.0f} rows/s"
        f"  CPU {cpu} s  RSS {result['peak_rss_mib']:6,.0f} MiB  load {low:.1f}-{high:.1f}"
    )


def _top(counts: dict[str, int], n: int = 4) -> str:
    ordered = sorted(counts.items(), key=lambda item: -item[1])
    shown = ", ".join(f"{rule} {count:,}" for rule, count in ordered[:n])
    return shown + (f", {len(ordered) - n} more rules" if len(ordered) > n else "")


def report(run: dict[str, Any]) -> list[str]:
    """Print one service's figures; returns its problems (a refused gate, a mismatch)."""
    steps = run["steps"]
    extract, validate, load, reconcile = (steps[s] for s in STEPS)
    generated = run["generation_seconds"]
    print(
        f"{SYSTEM}, {run['cases']:,} cases: {run['source_rows']:,} source rows, "
        f"{run['package_rows']:,} package rows, {run['documents']:,} documents "
        f"({extract['document_mib']:,.0f} MiB); source "
        + (f"generated in {generated:.0f} s" if generated else "from the cache")
    )
    print(f"  {'':10} CPU = client (+ PostgreSQL) seconds; load = 1-minute load average")
    for step in STEPS:
        print(_line(step, steps[step]))
        if step == "extract":
            print(
                f"      rejected {extract['rejected']:,}, excluded {extract['excluded']:,}; "
                "slowest source tables (s): "
                + ", ".join(f"{t} {s:.1f}" for t, s in list(extract["phases"].items())[:4])
            )
        if step == "load":
            order = ("gate", "open and checks", "documents", "read", "stage", "commit")
            phases = ", ".join(f"{k} {load['phases'][k]:.1f}" for k in order if k in load["phases"])
            print(f"      init_target {load['init_seconds']:.1f} s; phases (s): {phases}")
    print(
        f"  {'total':10} {run['seconds']:7.1f} s {run['source_rows'] / run['seconds']:>10,.0f}"
        f" source rows/s  {run['seconds'] * 1e6 / run['source_rows']:.1f} us a source row"
        f"  max RSS {run['peak_rss_mib']:,.0f} MiB"
    )
    starting = sum(s["process_seconds"] - s["seconds"] for s in steps.values())
    outside = ", ".join(f"{k} {v:.1f}" for k, v in run["overhead_seconds"].items())
    print(
        f"  {'':10} wall {run['wall_seconds']:.0f} s with the processes' start and end "
        f"({starting:.1f} s), {outside} s"
    )
    summary = validate["summary"]
    print(
        f"  validation: {summary['errors']:,} errors, {summary['warnings']:,} warnings, "
        f"{summary['infos']:,} infos"
    )
    for severity in ("error", "warning"):
        if validate["by_rule"].get(severity):
            print(f"      {severity}s: {_top(validate['by_rule'][severity])}")
    problems = []
    if load["gate_refused"]:
        problems.append(f"{run['cases']:,} cases: the validation gate refused the load")
        print(f"  LOAD GATE REFUSED: {load['gate_refused']}")
        print("      (the load above ran with validate=False to measure it)")
    if reconcile["matches"]:
        print(
            f"  reconcile: the target matches the package ({reconcile['tables']} tables, "
            f"{reconcile['target_rows']:,} rows)"
        )
    else:
        problems.append(f"{run['cases']:,} cases: the target does not match the package")
        print("  RECONCILE MISMATCH: " + "; ".join(reconcile["differences"]))
    return problems


def summarise(runs: list[dict[str, Any]], load_range: tuple[float, float]) -> dict[str, Any]:
    """The targets: time and memory at 100,000 cases, time per row against the smallest."""
    verdict: dict[str, Any] = {}
    print(
        f"load average (1 min) over the run: {load_range[0]:.1f} to {load_range[1]:.1f}"
        f" on {os.cpu_count()} cores"
    )
    largest = next((run for run in runs if run["cases"] == TARGET_CASES), None)
    if largest is not None:
        met = largest["seconds"] <= TARGET_SECONDS
        verdict["seconds_met"] = met
        print(
            f"{TARGET_CASES:,} cases in {largest['seconds']:.0f} s "
            f"({largest['seconds'] / 60:.1f} min; target: at most 10 min): "
            + ("met" if met else "missed")
        )
        met = largest["peak_rss_mib"] <= TARGET_RSS_MIB
        verdict["rss_met"] = met
        print(
            f"{TARGET_CASES:,} cases, max peak RSS {largest['peak_rss_mib']:,.0f} MiB "
            "(target: at most 2 GiB): " + ("met" if met else "missed")
        )
    if len(runs) > 1:
        small, large = min(runs, key=lambda r: r["cases"]), max(runs, key=lambda r: r["cases"])
        ratio = (large["seconds"] / large["source_rows"]) / (
            small["seconds"] / small["source_rows"]
        )
        verdict["per_row_ratio"] = ratio
        verdict["per_row_met"] = ratio <= TARGET_PER_ROW
        per_step = ", ".join(
            f"{step} {_per_row(large, step) / _per_row(small, step):.2f}" for step in STEPS
        )
        print(
            f"time per source row at {large['cases']:,} / {small['cases']:,} cases: "
            f"{ratio:.2f}x (target: at most {TARGET_PER_ROW:.1f}x): "
            + ("met" if verdict["per_row_met"] else "missed")
            + f"; per step (its own rows): {per_step}"
        )
    return verdict


def _per_row(run: dict[str, Any], step: str) -> float:
    result = run["steps"][step]
    return float(result["seconds"] / result["rows"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "nffs-bench")
    parser.add_argument("--pg-url", default=os.environ.get("NFFS_BENCH_POSTGRES", DEFAULT_PG))
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--package", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.source, args.package, args.target)
        return
    sizes = [int(part) for part in args.cases.split(",") if part.strip()]
    load = LoadAverage()
    runs, problems = [], []
    args.cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="service-", dir=args.cache) as work:
        for cases in sizes:
            run = run_service(cases, args.cache, Path(work), args.pg_url, load)
            runs.append(run)
            problems += report(run)
            sys.stdout.flush()
        load_range = load.stop()
        verdict = summarise(runs, load_range)
        if args.json is not None:
            figures = {"runs": runs, "load_average": load_range, "verdict": verdict}
            args.json.write_text(json.dumps({**figures, "problems": problems}, indent=1))
        for problem in problems:
            print(f"PROBLEM: {problem}", file=sys.stderr)
        print("removing the packages and documents stores ...", file=sys.stderr, flush=True)
    if any("does not match" in problem for problem in problems):
        sys.exit(1)


if __name__ == "__main__":
    main()
