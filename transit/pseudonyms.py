"""Keyed pseudonyms: the same original and key give the same fake, another key another fake.

Every fake is drawn from HMAC-SHA256(key, kind + original): names, streets, house
numbers, texts, short names, payment recipients. AHV numbers go through a keyed
permutation of their digits (a Feistel network with HMAC rounds, cycle-walking into the
decimal range), so two originals never share a fake and every fake AHVN13 carries a
correct EAN-13 check digit; a fake that would equal an original of the package is
moved on to a free number. Names are composed from invented word parts
(`pseudonym_words`), and a fake that equals any name or street of the package is
drawn again, so no original name can survive by chance.

We do not use faker here (libraries.md suggests it): its de_CH and fr_CH lists are
real, common names, so at a service's scale nearly every fake would also be some
client's real name, and its lists change between releases, which would change the
pseudonyms that one key gives.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from nffs_migration.transit import pseudonym_words as words

_AHVN13 = re.compile(r"^756[0-9]{10}$")
_OLD_AHV = re.compile(r"^[0-9]{11}$")
_NAME_PARTS = re.compile(r"([\s\-'’/]+)")
_DIGIT_RUNS = re.compile(r"[0-9]+")
_ATTEMPTS = 64


def digest(key: bytes, kind: str, value: str, attempt: int = 0) -> bytes:
    """HMAC-SHA256 of the key over `kind`, the original and, after a clash, the attempt.

    The original is taken in Unicode NFC form, so `ü` typed either way is the same value.
    """
    value = unicodedata.normalize("NFC", value)
    message = f"{kind}\x1f{value}" if not attempt else f"{kind}\x1f{value}\x1f{attempt}"
    return hmac.digest(key, message.encode("utf-8"), "sha256")


class Draws:
    """Deterministic choices from a seed (SHAKE-256 stream): no `random`, no global state."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._buffer = b""
        self._position = 0
        self._blocks = 0

    def below(self, bound: int) -> int:
        """A number in `[0, bound)` (4 bytes of the stream modulo bound; bound is small)."""
        if self._position + 4 > len(self._buffer):
            self._blocks += 1
            block = self._blocks.to_bytes(8, "big")
            self._buffer = hashlib.shake_256(self._seed + block).digest(256)
            self._position = 0
        value = int.from_bytes(self._buffer[self._position : self._position + 4], "big")
        self._position += 4
        return value % bound

    def pick(self, choices: Sequence[str]) -> str:
        """One of `choices`."""
        return choices[self.below(len(choices))]


# -- numbers ---------------------------------------------------------------------------


class DigitPermutation:
    """A keyed permutation of `[0, 10**digits)`: a Feistel network, cycle-walked into range."""

    ROUNDS = 6

    def __init__(self, key: bytes, tweak: str, digits: int) -> None:
        self.size = 10**digits
        bits = self.size.bit_length()
        self._half = (bits + 1) // 2
        self._mask = (1 << self._half) - 1
        self._round_key = hmac.digest(key, f"permutation\x1f{tweak}".encode(), "sha256")

    def _encrypt(self, value: int) -> int:
        left, right = value >> self._half, value & self._mask
        for number in range(self.ROUNDS):
            message = bytes((number,)) + right.to_bytes(8, "big")
            mixed = int.from_bytes(hmac.digest(self._round_key, message, "sha256")[:8], "big")
            left, right = right, left ^ (mixed & self._mask)
        return (left << self._half) | right

    def __call__(self, value: int) -> int:
        """The permuted value of a number in range."""
        if not 0 <= value < self.size:
            raise ValueError("value out of the permutation's range")
        result = self._encrypt(value)
        while result >= self.size:  # cycle walking: stays a permutation of the range
            result = self._encrypt(result)
        return result


class NumberPseudonyms:
    """One-to-one fakes of fixed-length numbers, none equal to one of the given originals.

    A number whose permuted value is itself an original (rare: n² / 10^digits of them)
    gets the first free value of a second, third... permutation instead. Lookups of the
    originals use sorted arrays, so millions of numbers take little memory.
    """

    def __init__(self, key: bytes, kind: str, digits: int, originals: Iterable[int] = ()) -> None:
        self._key, self._kind, self._digits = key, kind, digits
        self._permutation = DigitPermutation(key, kind, digits)
        known = np.unique(np.fromiter(originals, dtype=np.int64))
        fakes = np.fromiter((self._permutation(int(x)) for x in known), np.int64, len(known))
        clash = np.isin(fakes, known)
        if clash.any():
            used = np.sort(np.concatenate([known, fakes[~clash]]))
            assigned: set[int] = set()
            for position in np.flatnonzero(clash):
                fakes[position] = self._free(int(known[position]), used, assigned)
        self._known, self._fakes = known, fakes

    def _free(self, value: int, used: np.ndarray, assigned: set[int]) -> int:
        for attempt in range(1, _ATTEMPTS * 16):
            candidate = DigitPermutation(self._key, f"{self._kind}#{attempt}", self._digits)(value)
            position = int(np.searchsorted(used, candidate))
            taken = position < len(used) and int(used[position]) == candidate
            if not taken and candidate not in assigned:
                assigned.add(candidate)
                return candidate
        raise RuntimeError("no free pseudonym number found")  # pragma: no cover

    def __call__(self, value: int) -> int:
        """The fake of a number (of an original: the collision-free one)."""
        position = int(np.searchsorted(self._known, value))
        if position < len(self._known) and int(self._known[position]) == value:
            return int(self._fakes[position])
        return self._permutation(value)


def ahvn13_check_digit(first_twelve: str) -> int:
    """The EAN-13 check digit of the first twelve digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first_twelve))
    return (10 - total % 10) % 10


def ahvn13_pseudonym(value: str, body: Callable[[int], int]) -> str:
    """The fake of a `756` + 10-digit number: body mapped, check digit recomputed.

    A wrong check digit stays wrong by the same amount, so a package's
    `ahvn13-check-digit` findings are the same after pseudonymisation.
    """
    error = (int(value[12]) - ahvn13_check_digit(value[:12])) % 10
    fake = f"756{body(int(value[3:12])):09d}"
    return f"{fake}{(ahvn13_check_digit(fake) + error) % 10}"


def scramble_digits(value: str, draws: Draws, keep: int = 3) -> str:
    """Replace each digit after the first `keep` characters; keep length and other characters."""
    head, tail = value[:keep], value[keep:]
    return head + "".join(str(draws.below(10)) if c.isdigit() else c for c in tail)


# -- names and texts -------------------------------------------------------------------


def name_tokens(value: str) -> list[str]:
    """The parts of a name that are pseudonymised (not separators or particles)."""
    return [
        part
        for part in _NAME_PARTS.split(value.strip())
        if part and not _NAME_PARTS.fullmatch(part) and part.casefold() not in words.PARTICLES
    ]


def _like(original: str, fake: str) -> str:
    """Follow the original's letter case (`MÜLLER` gives an upper-case fake)."""
    if len(original) > 1 and original.isupper():
        return fake.upper()
    if original.islower():
        return fake.lower()
    return fake


class Pseudonyms:
    """Keyed fakes for the personal values of one package.

    Args:
        key: The secret key (at least 32 bytes).
        names: Every name and street of the package: no fake name equals one of them.
        ahvn13: The package's AHVN13 values; their fakes avoid them and each other.
        old_ahv: The package's old 11-digit AHV numbers, likewise.
    """

    def __init__(
        self,
        key: bytes,
        *,
        names: Iterable[str] = (),
        ahvn13: Iterable[str] = (),
        old_ahv: Iterable[str] = (),
    ) -> None:
        self._key = key
        self._taken: set[str] = set()
        for name in names:
            self._taken.add(name.strip().casefold())
            self._taken.update(part.casefold() for part in name_tokens(name))
        bodies = (int(v[3:12]) for v in ahvn13 if _AHVN13.match(v))
        self._ahv_bodies = NumberPseudonyms(key, "ahvn13", 9, bodies)
        olds = (int(v) for v in old_ahv if _OLD_AHV.match(v))
        self._old_ahv = NumberPseudonyms(key, "old_ahv_number", 11, olds)
        self._cache: dict[tuple[str, str], str] = {}

    def draws(self, kind: str, value: str, attempt: int = 0) -> Draws:
        """The deterministic choices for one original of one kind."""
        return Draws(digest(self._key, kind, value, attempt))

    # numbers

    def ahvn13(self, value: str) -> str:
        """A fake AHVN13: valid when the original is, never an original of the package."""
        if _AHVN13.match(value):
            return ahvn13_pseudonym(value, self._ahv_bodies)
        return scramble_digits(value, self.draws("ahvn13", value))

    def old_ahv_number(self, value: str) -> str:
        """A fake old 11-digit AHV number, never an original of the package."""
        if _OLD_AHV.match(value):
            return f"{self._old_ahv(int(value)):011d}"
        return scramble_digits(value, self.draws("old_ahv_number", value))

    def house_number(self, value: str) -> str:
        """Each run of digits replaced by a number of as many digits (`12a` -> `47a`)."""
        draws = self.draws("house_number", value)

        def replace(match: re.Match[str]) -> str:
            width = len(match.group())
            return str(10 ** (width - 1) + draws.below(9 * 10 ** (width - 1)))

        return _DIGIT_RUNS.sub(replace, value)

    def short_name(self, value: str) -> str:
        """Letters and digits replaced, case and length kept (`WUETB` -> `KALOR`)."""
        draws = self.draws("short_name", value)
        letters = "abcdefghijklmnopqrstuvwxyz"
        out = []
        for char in value:
            if char.isdigit():
                out.append(str(draws.below(10)))
            elif char.isalpha():
                fake = letters[draws.below(26)]
                out.append(fake.upper() if char.isupper() else fake)
            else:
                out.append(char)
        return "".join(out)

    # names

    def _fresh(self, kind: str, part: str, compose: Callable[[Draws, bool], str]) -> str:
        """A composed fake for one name part that equals no name of the package.

        Letter case does not count: `MÜLLER` and `Müller` are one name with one fake.
        """
        part = part.strip().casefold()
        cached = self._cache.get((kind, part))
        if cached is not None:
            return cached
        for attempt in range(_ATTEMPTS):
            fake = compose(self.draws(kind, part, attempt), attempt >= 8)
            if fake.casefold() not in self._taken:
                self._cache[(kind, part)] = fake
                return fake
        raise RuntimeError("no free pseudonym found")  # pragma: no cover

    def _parts(self, value: str, fake: Callable[[str], str]) -> str:
        out = []
        for part in _NAME_PARTS.split(value):
            if not part or _NAME_PARTS.fullmatch(part) or part.casefold() in words.PARTICLES:
                out.append(part)
            else:
                out.append(_like(part, fake(part)))
        return "".join(out)

    def family_name(self, value: str) -> str:
        """A fake family name: each part of `Müller-Meier` replaced, particles kept."""
        return self._parts(value, lambda part: self._fresh("family_name", part, _family))

    def given_name(self, value: str, sex: str | None = None) -> str:
        """A fake given name; female (`2`) or male (`1`) endings follow the sex code."""
        kind = {"1": "given_name:male", "2": "given_name:female"}.get(sex or "", "given_name")
        return self._parts(value, lambda part: self._fresh(kind, part, _given(kind)))

    def street(self, value: str) -> str:
        """A fake street, French in form when the original is (`Rue de ...`)."""
        french = (
            value.strip()
            .casefold()
            .startswith(
                (
                    "rue",
                    "chemin",
                    "ch.",
                    "avenue",
                    "av.",
                    "route",
                    "rte",
                    "place",
                    "quai",
                    "impasse",
                )
            )
        )

        def compose(draws: Draws, long: bool) -> str:
            if french:
                return draws.pick(words.STREET_PREFIXES_FR) + _family(draws, long, french=True)
            return _family(draws, long, french=False) + draws.pick(words.STREET_ENDINGS_DE)

        return _like(value, self._fresh("street", value, compose))

    def recipient(self, value: str) -> str:
        """A fake payment recipient: a company stays a company, a person gets a fake name."""
        tokens = value.split()
        if any(t.casefold().strip(".,") in words.COMPANY_WORDS for t in tokens):
            draws = self.draws("recipient", value)
            return f"{self._fresh('recipient', value, _family)} {draws.pick(words.LEGAL_FORMS)}"
        if len(tokens) >= 2:
            return f"{self.given_name(tokens[0])} {self.family_name(' '.join(tokens[1:]))}"
        return self.family_name(value)

    # texts

    def text(self, kind: str, value: str, *, sentences: bool = True) -> str:
        """Lorem ipsum of about the original's length; blank stays blank."""
        if not value.strip():
            return value
        return lorem(self.draws(kind, value), len(value), sentences=sentences)


def _family(draws: Draws, long: bool, french: bool | None = None) -> str:
    if french is None:
        french = draws.below(10) < 3
    stems, endings = (
        (words.FRENCH_STEMS, words.FRENCH_ENDINGS)
        if french
        else (words.GERMAN_STEMS, words.GERMAN_ENDINGS)
    )
    stem = draws.pick(stems)
    if long:
        stem += draws.pick(stems).lower()
    return stem + draws.pick(endings)


def _given(kind: str) -> Callable[[Draws, bool], str]:
    def compose(draws: Draws, long: bool) -> str:
        if kind.endswith(":female"):
            endings = words.GIVEN_FEMALE_ENDINGS
        elif kind.endswith(":male"):
            endings = words.GIVEN_MALE_ENDINGS
        else:
            endings = words.GIVEN_FEMALE_ENDINGS + words.GIVEN_MALE_ENDINGS
        stem = draws.pick(words.GIVEN_STEMS)
        if long:
            stem += draws.pick(words.GIVEN_STEMS).lower()
        return stem + draws.pick(endings)

    return compose


def lorem(draws: Draws, length: int, *, sentences: bool = True) -> str:
    """Lorem-ipsum text of about `length` characters (at least one word).

    With `sentences`, capitalised sentences ending in a full stop; without, a phrase
    (a subject or a title) with only its first word capitalised.
    """
    out: list[str] = []
    size = 0
    while size < length or not out:
        count = 4 + draws.below(9) if sentences else 1
        sentence = " ".join(draws.pick(words.LOREM) for _ in range(count))
        if sentences or not out:
            sentence = sentence[0].upper() + sentence[1:]
        out.append(sentence + ("." if sentences else ""))
        size += len(out[-1]) + 1
    text = " ".join(out)
    if len(text) > length:
        cut = text.rfind(" ", 0, max(length, 1))
        text = text[:cut] if cut > 0 else text.split(" ")[0]
        if sentences and not text.endswith("."):
            text = text.rstrip(".") + "."
    return text


__all__ = [
    "DigitPermutation",
    "Draws",
    "NumberPseudonyms",
    "Pseudonyms",
    "ahvn13_check_digit",
    "ahvn13_pseudonym",
    "digest",
    "lorem",
    "name_tokens",
    "scramble_digits",
]
