"""Schemas generated from the format definition: pandera for checks, artefacts for vendors.

- `pandera_schemas`: one `DataFrameSchema` per table (types, nullability, code lists,
  formats, unique ids), the engine of the conformance rules;
- `export`: JSON Schema of the manifest and the validation report, Table Schemas, and
  the reference in Markdown and HTML (`nffs-migrate schema export`).
"""
