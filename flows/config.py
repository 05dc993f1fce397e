"""Service configuration: one YAML file per social service, so nobody types long commands.

    nffs-migrate service init --out 0942.yaml     # a commented template
    nffs-migrate migrate --config 0942.yaml

Secrets never live in the file: a database URL with a password is refused; give
`url_env:` (the name of an environment variable that holds the URL) instead, or a
Prefect Secret block (`url_block:`). Relative paths are relative to the file's folder.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nffs_migration.errors import ConfigurationError
from nffs_migration.intermediate_format.definition import SERVICE_ID
from nffs_migration.intermediate_format.systems import SOURCE_SYSTEMS


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Connection(_Model):
    """Where a database or file is: a URL without secrets, an environment variable, a block."""

    url: str | None = Field(default=None, description="URL or path without a password.")
    url_env: str | None = Field(
        default=None, description="Environment variable that holds the URL."
    )
    url_block: str | None = Field(
        default=None, description="Prefect Secret block that holds the URL."
    )

    @model_validator(mode="after")
    def _one_way(self) -> Connection:
        given = [v for v in (self.url, self.url_env, self.url_block) if v]
        if len(given) > 1:
            raise ValueError("give one of url, url_env, url_block")
        if self.url and "://" in self.url:
            try:
                parsed = sa.make_url(self.url)
            except sa.exc.ArgumentError:
                return self
            if parsed.password:
                raise ValueError(
                    "a password in the file is refused: "
                    "put the URL in an environment variable (url_env)"
                )
        return self

    def resolve(self, what: str) -> str | None:
        """The URL or path, from wherever it is kept."""
        if self.url:
            return self.url
        if self.url_env:
            value = os.environ.get(self.url_env)
            if not value:
                raise ConfigurationError(f"{what}: environment variable {self.url_env} is not set")
            return value
        if self.url_block:
            from nffs_migration.flows.prefect_env import require_prefect

            require_prefect("a url_block")
            from prefect.blocks.system import Secret

            block: Any = Secret.load(self.url_block)
            return str(block.get())
        return None


class Service(_Model):
    """The social service."""

    id: str = Field(
        pattern=SERVICE_ID.pattern, description="BFS number of the main commune, 4 digits."
    )
    name: str
    communes: list[int] = Field(
        default_factory=list, description="BFS numbers of the communes served."
    )
    language: Literal["de", "fr", "en"] | None = Field(
        default=None,
        description="Language of the reports, worklists and summaries (--lang and "
        "NFFS_LANG win over it).",
    )


class Source(Connection):
    """The legacy source."""

    system: str = Field(
        description="The source family: klibnet, kiss, tutoris, custom or a plugin's."
    )

    @field_validator("system")
    @classmethod
    def _known_system(cls, value: str) -> str:
        if value not in SOURCE_SYSTEMS:
            raise ValueError(f"unknown source system; known: {', '.join(SOURCE_SYSTEMS)}")
        return value

    documents: Path | None = Field(default=None, description="Document share or folder.")
    mapping: Path | None = Field(default=None, description="The service's mapping file.")
    delta_export: Path | None = Field(
        default=None,
        description='Tutoris: the delta export (vollExport="false") that delta batches read; '
        "full batches read `url`.",
    )
    overlap_minutes: int = Field(
        default=5, ge=0, description="Deltas read again what changed this long before the mark."
    )


class Validation(_Model):
    """How packages are judged."""

    profile: Path | None = Field(default=None, description="Rule profile (default: the canton's).")
    as_of: date | None = Field(default=None, description="Judge currency against this date.")


class Target(Connection):
    """The target case store."""

    documents_store: Path | None = None


class Plan(_Model):
    """The service's batch plan: a full batch, then deltas until cutover.

    With a `cutover` date the plan's last batch is the final one: it must be fresh when
    it loads (`max_age_hours`), and once it has loaded the service is cut over. A source
    whose deltas cannot show deletions (Tutoris delta exports) ends with a full batch.
    Without a cutover date the batches are trial runs and nothing is cut over.
    """

    wave: int | None = Field(default=None, description="The canton's migration wave.")
    deltas: int = Field(default=0, ge=0, description="Delta batches after the full one.")
    cutover: date | None = Field(default=None, description="Go-live: the last batch is final.")
    max_age_hours: float = Field(
        default=24, ge=0, description="How old the final batch's data may be (0: no limit)."
    )
    as_of: str | None = Field(
        default=None, description="Source time to extract at (tests and demos)."
    )


class ServiceConfig(_Model):
    """Everything a service's migration needs."""

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: Any) -> Any:
        # A section left with comments only reads as null: it means "the defaults".
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data

    service: Service
    source: Source
    validation: Validation = Field(default_factory=Validation)
    target: Target = Field(default_factory=lambda: Target(url="sqlite:///target.db"))
    ledger: Connection = Field(default_factory=lambda: Connection(url="sqlite:///ledger.db"))
    workdir: Path = Field(
        default=Path("work"), description="Packages and reports are written here."
    )
    plan: Plan = Field(default_factory=Plan)
    retention_years: int = Field(default=10, ge=1)

    base: Path = Field(default=Path("."), exclude=True)

    def path(self, value: Path | None) -> Path | None:
        """A configured path, relative to the configuration file's folder."""
        if value is None:
            return None
        return value if value.is_absolute() else (self.base / value).resolve()

    def url(self, connection: Connection, what: str) -> str:
        """A configured URL; relative SQLite paths are relative to the file's folder."""
        value = connection.resolve(what)
        if value is None:
            raise ConfigurationError(f"{what}: give url or url_env")
        if value.startswith("sqlite:///") and not value.startswith("sqlite:////"):
            return f"sqlite:///{(self.base / value.removeprefix('sqlite:///')).resolve()}"
        if "://" not in value:
            return str(self.path(Path(value)))
        return value


def load_config(path: Path) -> ServiceConfig:
    """Read and check a service configuration; every problem in one error."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot read the configuration ({exc})") from None
    try:
        config = ServiceConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"{path}: {problems}") from None
    config.base = path.resolve().parent
    return config


TEMPLATE = """\
# Migration of one social service into the intermediate format and the target store.
# Paths are relative to this file. Never write a password here: keep URLs with secrets
# in environment variables (url_env) or Prefect Secret blocks (url_block).

service:
  id: "0942"                      # BFS number of the main commune, 4 digits
  name: Sozialdienst Thun
  communes: [942, 928]            # BFS numbers of the communes served
  # language: de                  # reports, worklists, summaries: de, fr or en

source:
  system: klibnet                 # klibnet, kiss, tutoris or custom
  url_env: NFFS_SOURCE_URL        # e.g. mssql+pyodbc://reader:...@klibnet/thun?driver=...
  # url: export.xml               # a file export (tutoris) or folder (custom) needs no secret
  documents: /mnt/ablage          # the document share or folder
  # mapping: 0942-mapping.yaml    # the service's own code mappings

validation:
  # profile: 0942-profile.yaml    # default: the canton's rule profile
  # as_of: 2026-06-30             # default: the data's date

target:
  url_env: NFFS_TARGET_URL        # e.g. postgresql+psycopg://loader:...@nffs/migration
  documents_store: documents      # content-addressed document files

ledger:
  url: sqlite:///ledger.db        # the canton's ledger: url_env: NFFS_LEDGER_URL

workdir: work                     # packages and reports of every batch

plan:
  wave: 2                         # the canton's migration wave
  deltas: 1                       # delta batches after the full one, until cutover
  cutover: 2026-09-30             # go-live: the last batch is final and cuts over
  max_age_hours: 24               # the final batch's data may be this old when it loads

retention_years: 10
"""


__all__ = ["TEMPLATE", "Connection", "ServiceConfig", "load_config"]
