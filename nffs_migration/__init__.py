"""nffs-migration: legacy social-service case files into the canton of Bern's intermediate format.

The stages live in subpackages (`intermediate_format`, `schemas`, `extractors`,
`validators`, `loaders`, `flows`, `sample_data`); this root package holds what they
share: the version, the error hierarchy (`errors`), the logging setup (`log`) and the
command line (`cli`).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
