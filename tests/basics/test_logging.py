"""The logging setup keeps record values out of log output."""

from __future__ import annotations

import logging

import pytest

from nffs_migration import log


def test_value_bearing_library_records_lose_their_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log.configure(2)
    logging.getLogger("sqlalchemy.engine").warning("[parameters: %s]", ("Muster", "7561234567897"))
    log.get_logger("nffs_migration.test").warning("person %s rejected", "0942:klibnet:17")
    err = " ".join(capsys.readouterr().err.split())
    assert "Muster" not in err and "7561234567897" not in err
    assert "details withheld" in err
    assert "0942:klibnet:17" in err


def test_toolkit_loggers_follow_verbosity() -> None:
    log.configure(0)
    assert logging.getLogger("nffs_migration").level == logging.WARNING
    log.configure(1)
    assert logging.getLogger("nffs_migration").level == logging.INFO
    log.configure(0, debug=True)
    assert logging.getLogger("nffs_migration").level == logging.DEBUG
    assert logging.getLogger("sqlalchemy").level == logging.WARNING
