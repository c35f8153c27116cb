"""Charset names as sites declare them, mapped to the Python codec that reads them right."""

from __future__ import annotations

import codecs

# EUC-KR pages and feeds routinely carry CP949-only syllables (똠, 햏); CP949 is a strict
# superset, so every Korean legacy name is read as CP949.
KOREAN_LEGACY = frozenset(
    {
        "euc-kr",
        "euc_kr",
        "euckr",
        "ks_c_5601-1987",
        "ks_c_5601",
        "ksc5601",
        "ksc_5601",
        "x-windows-949",
        "windows-949",
        "cp949",
        "uhc",
        "ms949",
    }
)


def codec_for(name: str | None) -> str | None:
    """The Python codec for a declared charset, or None when it is unknown."""
    if not name:
        return None
    name = name.strip().lower()
    if name in KOREAN_LEGACY:
        return "cp949"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None
