"""`python -m nffs_migration` runs the `nffs-migrate` command."""

from nffs_migration.cli import main

main()
