"""What a TOML syntax error in textback.toml means for the shop that wrote it.

The parser says where and what ("Cannot overwrite a value (at line 199, column 8)"); this
adds the usual cause in the shop's words.
"""
from __future__ import annotations

import re
import tomllib


def toml_error_hint(text: str, error: tomllib.TOMLDecodeError) -> str:
    """The parser's words, and for "Cannot overwrite a value" what a shop did to get it: the
    example's [modem] kept above [[modem]] entries (as its comment invites), or a key twice."""
    lines = text.splitlines()
    single = [n for n, line in enumerate(lines, start=1) if re.match(r"\s*\[\s*modem\s*\]\s*(#.*)?$", line)]
    several = any(re.match(r"\s*\[\[\s*modem\s*\]\]", line) for line in lines)
    if single and several:
        return (f"the [modem] table (line {single[0]}) and [[modem]] entries cannot be mixed: with several "
                "modems delete the [modem] line and write each modem as [[modem]] with its name, port and "
                "lines (a key such as pin or baudrate goes into each [[modem]] that needs it)")
    if "Cannot overwrite a value" in str(error):
        return f"{error}: a key written twice in one section (or a section written twice)"
    return str(error)
