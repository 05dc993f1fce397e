"""KLIBnet (Diartis) database extractor: see `extractor.py` and README.md."""
