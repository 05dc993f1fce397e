"""Rule profiles: severities, thresholds and parameters, with the canton's default.

A profile is YAML (`validators/profiles/canton-default.yaml` is the canton's;
`segment-guidelines.yaml` extends it with the optional rules of the segment guidelines,
`enabled: true`). A service profile `extends:` another and overrides rules or
parameters. A rule's threshold (as in OHDSI's Data Quality Dashboard) is the share of
checked records that may fail before the rule fails; the findings of a tolerated rule
become `info`. Lowering a rule's
severity below the profile it extends, or tolerating errors, needs `allowed_by:` (who
allowed it, and when): a service cannot quietly turn an error into a warning.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from nffs_migration.errors import ConfigurationError
from nffs_migration.intermediate_format.findings import Severity
from nffs_migration.resources import REINSTALL, resource
from nffs_migration.validators.results import Params

#: The profiles shipped with the toolkit (package data).
PROFILES = resource("nffs_migration.validators", "profiles")
DEFAULT = PROFILES / "canton-default.yaml"
RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
RULE_KEYS = {"severity", "threshold", "allowed_by", "enabled"}


@dataclass(frozen=True)
class RuleSetting:
    """A rule's severity and threshold in a profile, and who allowed a relaxation."""

    severity: Severity | None = None
    threshold: float = 0.0
    allowed_by: str | None = None
    #: Turns an optional rule on (or any rule off); None: the catalog's default.
    enabled: bool | None = None


@dataclass(frozen=True)
class Profile:
    """A resolved profile: every rule setting and the parameters of the checks."""

    name: str
    rules: dict[str, RuleSetting] = field(default_factory=dict)
    params: Params = field(default_factory=Params)
    sources: tuple[str, ...] = ()

    def setting(self, rule_id: str) -> RuleSetting:
        """The setting of a rule (an empty one when the profile does not name it)."""
        return self.rules.get(rule_id, RuleSetting())

    @property
    def enabled(self) -> frozenset[str]:
        """The optional rules this profile turns on."""
        from nffs_migration.intermediate_format.rules import OPTIONAL_RULES

        return frozenset(r for r in OPTIONAL_RULES if self.setting(r).enabled)

    def describe(self) -> dict[str, Any]:
        """Name and file checksums, for the report."""
        return {"name": self.name, "files": list(self.sources)}


ProfileFile = Path | Traversable


def _read(path: ProfileFile) -> dict[str, Any]:
    if not path.is_file():
        shipped = str(path).startswith(str(PROFILES))
        hint = REINSTALL if shipped else "give the path of an existing profile"
        raise ConfigurationError(f"{path}: the rule profile is missing; {hint}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot read the rule profile ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigurationError(
            f"{path}: a rule profile is a mapping with profile:, rules:, params:"
        )
    return data


def shipped(name: str) -> Traversable | None:
    """A profile shipped with the toolkit by name (`segment-guidelines`), if there is one."""
    candidate = PROFILES / f"{name}.yaml"
    return candidate if "/" not in name and candidate.is_file() else None


def load_profile(path: Path | None = None) -> Profile:
    """Load a profile (default: the canton's) and resolve what it extends.

    `path` is a profile file, or the name of a shipped profile (`segment-guidelines`).
    """
    from nffs_migration.validators.catalog import ALL_RULES as RULES

    chain: list[tuple[ProfileFile, dict[str, Any]]] = []
    current: ProfileFile | None = path or DEFAULT
    if path is not None and not path.is_file():
        current = shipped(str(path)) or path
    while current is not None:
        data = _read(current)
        chain.append((current, data))
        parent = data.get("extends")
        if parent is None:
            current = None
        else:
            # A shipped profile by name, else a file beside the one that extends it.
            candidate: ProfileFile = PROFILES / f"{parent}.yaml"
            if not candidate.is_file() and isinstance(current, Path):
                candidate = current.parent / f"{parent}.yaml"
            if not candidate.is_file():
                raise ConfigurationError(f"{chain[-1][0]}: extends unknown profile {parent!r}")
            current = candidate
            if len(chain) > 5:
                raise ConfigurationError(f"{path}: profiles extend each other in a loop")
    rules: dict[str, RuleSetting] = {}
    params: dict[str, Any] = {}
    known_params = set(Params.__dataclass_fields__)
    for depth, (source, data) in enumerate(reversed(chain)):
        for key, value in (data.get("params") or {}).items():
            if key not in known_params:
                raise ConfigurationError(
                    f"{source}: unknown parameter {key!r}; known: {', '.join(sorted(known_params))}"
                )
            params[key] = value
        for rule_id, entry in (data.get("rules") or {}).items():
            entry = entry or {}
            unknown = set(entry) - RULE_KEYS
            if unknown:
                raise ConfigurationError(
                    f"{source}: rules.{rule_id} has unknown keys {sorted(unknown)}"
                )
            base = rules.get(rule_id, RuleSetting())
            try:
                severity = Severity(entry["severity"]) if "severity" in entry else base.severity
            except ValueError:
                raise ConfigurationError(
                    f"{source}: rules.{rule_id}.severity must be error, warning or info"
                ) from None
            threshold = float(entry.get("threshold", base.threshold))
            if not 0.0 <= threshold <= 1.0:
                raise ConfigurationError(
                    f"{source}: rules.{rule_id}.threshold is a share between 0 and 1"
                )
            allowed_by = entry.get(
                "allowed_by", base.allowed_by if entry.get("severity") is None else None
            )
            default = base.severity or (RULES[rule_id].severity if rule_id in RULES else None)
            lowered = (
                severity is not None and default is not None and RANK[severity] < RANK[default]
            )
            tolerates_errors = threshold > 0 and (severity or default) is Severity.ERROR
            if depth > 0 and (lowered or tolerates_errors) and not allowed_by:
                raise ConfigurationError(
                    f"{source}: rules.{rule_id} relaxes the {default} rule; "
                    "say who allowed it with allowed_by:"
                )
            enabled = entry.get("enabled", base.enabled)
            if enabled is not None and not isinstance(enabled, bool):
                raise ConfigurationError(f"{source}: rules.{rule_id}.enabled is true or false")
            rules[rule_id] = RuleSetting(severity, threshold, allowed_by, enabled)
    digests = tuple(
        f"{p.name} sha256:{hashlib.sha256(p.read_bytes()).hexdigest()[:12]}" for p, _ in chain
    )
    name = chain[0][1].get("profile", chain[0][0].name.removesuffix(".yaml"))
    return Profile(str(name), rules, Params.from_dict(params), digests)


__all__ = ["DEFAULT", "PROFILES", "Profile", "RuleSetting", "load_profile", "shipped"]
