"""The fuzz harnesses run by hand, with a time budget, never in the test run (see README.md).

Nothing in this folder is collected: `pytest tests` neither runs nor skips these files.
"""

collect_ignore_glob = ["*"]
