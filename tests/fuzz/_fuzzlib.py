"""Shared parts of the fuzz harnesses: decisions from bytes, hostile values, the run loop.

A harness turns each fuzz input (a byte string) into a mutated legacy source: every
decision (which mutation, where, which hostile value) is drawn from the bytes through
`Provider`, so libFuzzer's coverage feedback (atheris) steers the mutations, and the
same bytes always give the same source (a saved input reproduces its finding). Without
atheris the loop feeds seeded random bytes instead.

What counts as a finding: any exception that is not an `NffsError` (the toolkit's own
errors are the expected refusals), and a package that is left half-written (anything
at `--out` or a temporary folder beside it after a refusal; a package that does not
open with its checksums after a success). Findings are recorded with their input and
the mutated source, and the run goes on (`--strict` stops at the first one instead).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
#: The repository: a finding's signature names the last frame of the toolkit's own code.
REPOSITORY = Path(__file__).resolve().parents[2]
#: The moment the sample sources are generated as of (the generator's default).
AS_OF = datetime(2026, 3, 14, 18, 22)  # noqa: DTZ001 - local civil time, as the format has it


class Provider:
    """Decisions drawn from a byte string; when the bytes run out, every choice is the first."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        value = self.data[self.pos]
        self.pos += 1
        return value

    def int(self, low: int, high: int) -> int:
        span = high - low
        if span <= 0:
            return low
        value = 0
        for _ in range((span.bit_length() + 7) // 8):
            value = (value << 8) | self.byte()
        return low + value % (span + 1)

    def chance(self, percent: int) -> bool:
        return self.int(0, 99) < percent

    def pick(self, items: Sequence[T]) -> T:
        return items[self.int(0, len(items) - 1)]

    def raw(self, size: int) -> bytes:
        return bytes(self.byte() for _ in range(size))

    def text(self, max_len: int = 30) -> str:
        chars = []
        for _ in range(self.int(0, max_len)):
            if self.chance(5):
                code = self.int(0, 0x10FFFF)
                chars.append(chr(code) if not 0xD800 <= code <= 0xDFFF else "\ufffd")
            else:
                chars.append(self.pick(self.pick(ALPHABETS)))
        return "".join(chars)


ALPHABETS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    " .,;:'\"-/\\&<>=%_()[]{}#|",
    "äöüÄÖÜéèêàâçëïîôûùÿœÉÈßñ€’«»",
    "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2003\u2028\u2029\u202f\u3000",
    "\x00\x01\x08\x1b\x7f\ufeff\ufffe\uffff\u200b\u200e\u202e",
    "٠١٢٣٤٥٦٧٨٩０１２３４５６７８９²³¹",
    "漢字カタ한국Ελληνικά Кириллицаעבריתالعربية",
    "😀👩🇨🇭𝔘𝔫",
)

FIXED = (
    "'; DROP TABLE persons; --",
    "Robert'); DROP TABLE Students;--",
    '" OR "1"="1',
    "../../etc/passwd",
    "/etc/passwd",
    "dokumente/../../../etc/passwd",
    "C:\\Windows\\win.ini",
    "C:/x.pdf",
    "\\\\server\\share\\x.pdf",
    "dokumente/2020-0001/\x00.pdf",
    "NUL",
    "CON.pdf",
    "%s%s%n",
    "{0}{__class__}",
    "${jndi:ldap://example.invalid/a}",
    "<script>alert(1)</script>",
    "]]>",
    "&xxe;",
    "&#0;",
    "&#x110000;",
    "&amp;&lt;",
    "MÃ¼ller",
    "Ã‰rythrÃ©e",
    "BÃ¤rtschi-MÃ¼ller",
    "{\\rtf1 \\u-10179?\\u-8704? Smiley}",
    "{\\rtf1 \\u99999999999? x}",
    "{\\rtf1 \\u-99999? x}",
    "{\\rtf1\\ansi \\'fc\\'e4 {\\*\\ignored x} \\par y}",
    "{\\rtf1 {{{{{{{{{{{{{{{{{{{{",
    "=cmd|' /C calc'!A0",
    "true",
    "WAHR",
    "null",
    "None",
    "NaN",
    "1900-01-01",
    "9999-12-31",
    "01.01.1900",
    "31.12.9999",
    "00.00.0000",
    "01.01.0000 00:00",
    "29.02.1900",
    "31.02.2020",
    "1e30",
    "9" * 40,
    "-0.00",
    "1'234.50",
    "1.234",
    "١٢٣",
    "999:59",
    "-1:00",
    "756.1234.5678.97",
    "756\u00a01234\u00a05678\u00a097",
    "١٢٣٤٥٦٧٨٩٠١",
    "Bahnhofstrasse 12, 3600 Thun",
    ",,,,",
    "\ufeffP-10001",
    "P-10001",
    "2020-0001",
    "2018/0001",
)


def ean_check(digits: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return str((10 - total % 10) % 10)


def _digits(p: Provider, count: int) -> str:
    return "".join(str(p.int(0, 9)) for _ in range(count))


def number_text(p: Provider) -> str:
    if p.chance(15):
        return p.pick(("NaN", "sNaN", "Infinity", "-inf", "1e30", "1E-5", "0x10", "½", "1/2"))
    sign = p.pick(("", "", "", "-", "+", "--", "−"))
    whole = _digits(p, p.int(1, 32))
    if p.chance(30):
        mark = p.pick(("'", "’", ",", ".", " ", "_", "\u202f"))
        groups = [whole[max(0, i - 3) : i] for i in range(len(whole), 0, -3)][::-1]
        whole = mark.join(groups)
    decimals = ""
    if p.chance(60):
        decimals = p.pick((".", ",")) + _digits(p, p.int(0, 5))
    exponent = p.pick(("", "", "", "", "e30", "E-5", "e999999", "e+2")) if p.chance(20) else ""
    text = sign + whole + decimals + exponent
    if p.chance(5):
        text = text.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    return text


def date_text(p: Provider) -> str:
    day, month = p.int(0, 40), p.int(0, 14)
    year = p.pick((p.int(0, 9999), 1900, 9999, 1899, 0, 2020, 1984))
    shape = p.int(0, 5)
    text = (
        f"{day:02d}.{month:02d}.{year:04d}",
        f"{day}.{month}.{year}",
        f"{year:04d}-{month:02d}-{day:02d}",
        f"{month:02d}.{year:04d}",
        f"{year:04d}",
        f"{day:02d}/{month:02d}/{year:04d}",
    )[shape]
    if p.chance(30):
        text += f"{p.pick((' ', 'T', '  '))}{p.int(0, 30):02d}:{p.int(0, 70):02d}"
        if p.chance(30):
            text += f":{p.int(0, 70):02d}"
    if p.chance(10):
        text = p.pick((" ", "\t", "\u00a0", "x")) + text + p.pick((" ", "\n", "\u3000", ".5"))
    return text


def duration_text(p: Provider) -> str:
    if p.chance(20):
        return p.pick(("-1:00", "1.5", "0,75", "١:٣٠", "24:00", "999:59", "1000:00", "00:60"))
    return f"{p.int(0, 10000):0{p.int(1, 3)}d}:{p.int(0, 99):02d}"


def ahv_text(p: Provider) -> str:
    if p.chance(30):
        return _digits(p, p.pick((11, 13, 12, 14, 10)))
    body = "756" + _digits(p, 9)
    body += ean_check(body) if p.chance(70) else str(p.int(0, 9))
    mark = p.pick((".", " ", "-", "", "\u00a0", "\t", "\x0b", "/"))
    return mark.join((body[:3], body[3:7], body[7:11], body[11:]))


def address_text(p: Provider) -> str:
    street = p.pick(("Bahnhofstrasse", "Rue de la Gare", "Obere Hauptgasse", "Route 66", "c/o X"))
    number = p.pick(("", " 12", " 78c", " 12-14", " 5/7", " 12 b", " 0"))
    postal = _digits(p, p.int(3, 6))
    town = p.pick(("Thun", "Biel/Bienne", "St. Gallen", "", " ", "3600"))
    sep = p.pick((", ", ",", " , ", " ", ",,"))
    return f"{street}{number}{sep}{postal} {town}"


def value(p: Provider) -> str:
    """A hostile text value for a cell or an attribute."""
    kind = p.int(0, 11)
    if kind == 0:
        return p.text(40)
    if kind == 1:
        return number_text(p)
    if kind == 2:
        return date_text(p)
    if kind == 3:
        return duration_text(p)
    if kind == 4:
        return ahv_text(p)
    if kind == 5:
        return address_text(p)
    if kind == 6:
        return p.pick(("", " ", "\t", "\n", "\u00a0", "\u3000"))
    if kind == 7:
        return p.pick(FIXED) * p.int(100, 3000)
    if kind == 8:
        plain = p.text(20)
        return plain.encode("utf-8").decode(p.pick(("cp1252", "latin-1")), errors="replace")
    if kind == 9:
        parts = ["{\\rtf1\\ansi "]
        for _ in range(p.int(0, 8)):
            parts.append(
                p.pick(
                    (
                        f"\\'{p.int(0, 255):02x}",
                        f"\\u{p.int(-70000, 70000)}?",
                        "\\par ",
                        "{",
                        "}",
                        "\\\\",
                        p.text(5),
                    )
                )
            )
        return "".join(parts) + p.pick(("}", ""))
    return p.pick(FIXED)


def cell(p: Provider) -> Any:
    """A hostile XLSX cell: text, or a number, boolean, date or time as a workbook holds them."""
    kind = p.int(0, 9)
    if kind <= 3:
        return value(p)
    if kind == 4:
        return p.pick((0, -1, 1, 60, 61, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), p.int(0, 10**6)))
    if kind == 5:
        return p.pick(
            (
                math.nan,
                math.inf,
                -math.inf,
                -0.0,
                0.5,
                1e308,
                5e-324,
                59.0,
                60.0,
                60.5,
                1.0,
                2958465.0,
                2958466.0,
                45000.75,
                1234.5,
                0.1 + 0.2,
            )
        )
    if kind == 6:
        return p.chance(50)
    if kind == 7:
        return date(p.int(1, 9999), p.int(1, 12), p.int(1, 28))
    if kind == 8:
        return datetime(p.int(1900, 9999), p.int(1, 12), p.int(1, 28), p.int(0, 23), p.int(0, 59))  # noqa: DTZ001
    return p.pick((None, clock_time(p.int(0, 23), p.int(0, 59)), timedelta(hours=p.int(0, 99))))


def mutate_bytes(p: Provider, data: bytes) -> bytes:
    """Flip, insert, delete or duplicate a few bytes."""
    buffer = bytearray(data)
    for _ in range(p.int(1, 8)):
        if not buffer:
            buffer.extend(p.raw(p.int(1, 16)))
            continue
        at = p.int(0, len(buffer) - 1)
        op = p.int(0, 4)
        if op == 0:
            buffer[at] ^= 1 << p.int(0, 7)
        elif op == 1:
            buffer[at:at] = p.raw(p.int(1, 8))
        elif op == 2:
            del buffer[at : at + p.int(1, 64)]
        elif op == 3:
            buffer[at] = p.pick((0, 0x80, 0xFF, ord("<"), ord("&"), ord('"'), ord(";"), 0x0A))
        else:
            size = p.int(1, 256)
            buffer[at:at] = buffer[at : at + size]
    return bytes(buffer)


# -- the run loop --------------------------------------------------------------------------


class HalfWrittenError(AssertionError):
    """A refused extraction left something at --out, or a finished package does not open."""


def _ours(filename: str) -> bool:
    """True for a file of the toolkit (not of a library, not of these harnesses)."""
    path = Path(filename).resolve()
    if not path.is_relative_to(REPOSITORY):
        return False
    parts = path.relative_to(REPOSITORY).parts
    return parts[:2] != ("tests", "fuzz") and ".venv" not in parts and "site-packages" not in parts


def _signature(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if _ours(f.filename)]
    where = [f"{Path(f.filename).name}:{f.lineno}" for f in (ours[-1:] + frames[-1:])]
    return f"{type(exc).__name__} at {' / '.join(dict.fromkeys(where))}"


def _refusal(exc: BaseException, folder: Path) -> str:
    text = str(exc).replace(str(folder), "<src>")
    text = re.sub(r"\d+", "N", text)
    return f"{type(exc).__name__}: {text[:90]}"


class Loop:
    """Runs a harness's `one(provider, folder)` on each input; keeps counts and findings."""

    def __init__(self, name: str, findings: Path, budget: float, strict: bool) -> None:
        self.name = name
        self.findings = findings
        self.budget = budget
        self.strict = strict
        self.started = time.monotonic()
        self.last_status = self.started
        self.runs = 0
        self.outcomes: Counter[str] = Counter()
        self.found: dict[str, dict[str, Any]] = {}
        findings.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix=f"nffs-fuzz-{name}-"))

    def run_one(self, data: bytes, one: Callable[[Provider, Path], str]) -> None:
        if time.monotonic() - self.started > self.budget:
            self.finish()
            os._exit(0)  # libFuzzer's loop has no other way out that keeps our summary
        self.runs += 1
        folder = self.work / f"run-{self.runs}"
        folder.mkdir()
        try:
            outcome = one(Provider(data), folder)
            self.outcomes[outcome] += 1
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # anything but NffsError is a finding
            self.outcomes["FINDING"] += 1
            self.record(exc, data, folder)
            if self.strict:
                raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        now = time.monotonic()
        if now - self.last_status > 30:
            self.last_status = now
            self.status()

    def record(self, exc: BaseException, data: bytes, folder: Path) -> None:
        key = _signature(exc)
        entry = self.found.get(key)
        if entry is not None:
            entry["count"] += 1
            return
        digest = hashlib.sha256(data).hexdigest()[:12]
        saved = self.findings / f"{self.name}-{digest}"
        shutil.copytree(folder / "source", saved / "source", dirs_exist_ok=True)
        (saved / "input.bin").write_bytes(data)
        (saved / "traceback.txt").write_text(
            "".join(traceback.format_exception(exc)), encoding="utf-8"
        )
        self.found[key] = {"count": 1, "input": str(saved), "message": str(exc)[:300]}
        print(f"[{self.name}] FINDING {key}: {str(exc)[:200]} -> {saved}", flush=True)

    def status(self) -> None:
        elapsed = time.monotonic() - self.started
        print(
            f"[{self.name}] {elapsed:7.0f} s  {self.runs} runs  {self.runs / elapsed:.2f}/s  "
            f"{len(self.found)} distinct findings",
            flush=True,
        )
        self.write_summary()

    def write_summary(self) -> None:
        summary = {
            "harness": self.name,
            "seconds": round(time.monotonic() - self.started, 1),
            "runs": self.runs,
            "outcomes": dict(self.outcomes.most_common()),
            "findings": self.found,
        }
        (self.findings / "summary.json").write_text(
            json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8"
        )

    def finish(self) -> None:
        self.status()
        print(f"[{self.name}] outcomes:", flush=True)
        for outcome, count in self.outcomes.most_common(40):
            print(f"  {count:6d}  {outcome}", flush=True)
        for key, entry in self.found.items():
            print(f"  finding x{entry['count']}: {key}\n      {entry['input']}", flush=True)
        shutil.rmtree(self.work, ignore_errors=True)


def arguments(name: str) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=f"Fuzz the {name} extractor (see README.md).")
    parser.add_argument("--seconds", type=float, default=300, help="time budget (default 300)")
    parser.add_argument(
        "--engine",
        choices=("atheris", "random"),
        default=None,
        help="atheris (coverage-guided, default when installed) or random bytes",
    )
    parser.add_argument(
        "--findings",
        type=Path,
        default=Path(tempfile.gettempdir()) / "nffs-fuzz" / name,
        help="where findings, the corpus and summary.json go (default: <tmp>/nffs-fuzz/<name>)",
    )
    parser.add_argument("--strict", action="store_true", help="stop at the first finding")
    parser.add_argument("--seed", type=int, default=1, help="random engine's seed")
    parser.add_argument(
        "--replay", type=Path, nargs="*", default=None, help="run saved input.bin files once"
    )
    return parser.parse_known_args()


def main(name: str, load: Callable[[Path], Callable[[Provider, Path], str]]) -> None:
    """Set up the harness (`load` imports the toolkit and builds the seed), then fuzz."""
    args, rest = arguments(name)
    logging.disable(logging.WARNING)
    engine = args.engine
    if engine is None:
        try:
            import atheris
        except ImportError:
            engine = "random"
        else:
            engine = "atheris"
    loop = Loop(name, args.findings, args.seconds, args.strict)
    if engine == "atheris":
        import atheris

        with atheris.instrument_imports(include=["nffs_migration"]):
            one = load(loop.work)
    else:
        one = load(loop.work)
    if args.replay is not None:
        for path in args.replay:
            loop.run_one(path.read_bytes(), one)
        loop.finish()
        return
    print(f"[{name}] engine {engine}, budget {args.seconds:.0f} s", flush=True)
    if engine == "atheris":
        import atheris

        corpus = args.findings / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        if not any(corpus.iterdir()):
            # Start from long random programs: libFuzzer alone begins with inputs of a
            # few bytes, which make a few decisions only.
            generator = random.Random(args.seed)  # noqa: S311 - fuzz inputs, not secrets
            for number in range(32):
                size = generator.randint(16, 1024)
                (corpus / f"seed-{number:02d}").write_bytes(generator.randbytes(size))
        argv = [
            sys.argv[0],
            str(corpus),
            f"-max_total_time={int(args.seconds) + 120}",
            "-max_len=2048",
            "-len_control=0",
            "-rss_limit_mb=4096",
            "-timeout=120",
            *rest,
        ]
        atheris.Setup(argv, lambda data: loop.run_one(data, one))
        atheris.Fuzz()
    else:
        generator = random.Random(args.seed)  # noqa: S311 - fuzz inputs, not secrets
        while True:
            size = generator.randint(0, 2048)
            loop.run_one(generator.randbytes(size), one)


def seed_folder(work: Path, system: str, cases: int = 5, seed: int = 3) -> Path:
    """The generated source every input starts from."""
    from nffs_migration.sample_data.generate import generate

    source = generate(system, work / f"seed-{system}", cases=cases, seed=seed)
    return source.out


def check_package(out: Path, error: BaseException | None) -> None:
    """A refusal leaves nothing at --out or beside it; a success gives a package that opens."""
    from nffs_migration.intermediate_format import TABLES, open_package

    left = sorted(p.name for p in out.parent.iterdir())
    if error is not None:
        if left:
            raise HalfWrittenError(f"a refused extraction left {left} ({error})")
        return
    if left != [out.name]:
        raise HalfWrittenError(f"beside the package: {left}")
    with open_package(out) as package:
        for name in TABLES:
            package.frame(name)


def outcome(error: BaseException | None, source: Path, placeholder: str) -> str:
    """How one input ended, as a signature that groups alike refusals (paths and numbers out)."""
    if error is None:
        return "extracted"
    message = str(error).replace(str(source), placeholder)
    return f"{type(error).__name__}: {re.sub(r'[0-9]+', 'N', message)[:100]}"


__all__ = [
    "AS_OF",
    "FIXED",
    "HalfWrittenError",
    "Loop",
    "Provider",
    "cell",
    "check_package",
    "main",
    "mutate_bytes",
    "outcome",
    "seed_folder",
    "value",
]
