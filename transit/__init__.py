"""Packages in transit: sealed for the canton, pseudonymised for vendors.

Not the format itself (that is `intermediate_format/`), but what happens to a package on
its way out of a service:

- `sealing`, `keys`, `stream`: an Ed25519 signature over `manifest.json` beside the
  package, or the package signed and encrypted (X25519, AES-256-GCM, streamed) for the
  canton in one `.nffs-sealed` file (docs/sealing.md);
- `pseudonymize`, `pseudonyms`, `pseudonym_dates`, `pseudonym_words`,
  `fake_documents`: a copy of a package with keyed fakes for every personal value and
  document, which validates with the same findings (docs/pseudonymize.md).

Transit reads and writes packages through the format, like a stage, and imports no
stage.
"""
