"""Self-built sources (CSV and XLSX files) read through the service's `mapping.yaml`.

One generic extractor for every self-built system: the mapping file (`mapping_format: 1`,
see `docs/custom-mapping.md`) says which file or sheet feeds which table, which column
feeds which field, and how codes, dates, amounts and keys are written. `mapping check`
validates a mapping before any data is read; `mapping init` proposes one from the
headers it finds.
"""
