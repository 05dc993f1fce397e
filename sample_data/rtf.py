r"""Plain text as the RTF that old KLIBnet journal entries hold (`{\rtf1 ...}`).

Characters of Windows-1252 beyond ASCII become `\'xx` escapes (`ü` is `\'fc`), others
`\uN?` escapes, as Word and the RichEdit control wrote them.
"""

from __future__ import annotations

HEADER = r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}\viewkind4\uc1\pard\f0\fs20 "


def to_rtf(text: str) -> str:
    """Encode plain text as a minimal RTF document."""
    out = [HEADER]
    for char in text:
        if char in "\\{}":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\par\n")
        elif ord(char) < 128:
            out.append(char)
        else:
            try:
                out.append(f"\\'{char.encode('cp1252')[0]:02x}")
            except UnicodeEncodeError:
                code = ord(char)
                out.append(f"\\u{code if code < 32768 else code - 65536}?")
    out.append("\\par\n}")
    return "".join(out)
