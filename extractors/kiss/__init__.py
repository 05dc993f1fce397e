"""KiSS 4.x (Diartis): the extractor, its mapping files and its notes (see README.md)."""
