"""Which encoding bytes from the web are really in: one decision for feeds and pages alike.

Sites declare charsets in several places (BOM, HTTP header, XML prolog, `<meta>`) and are often
wrong. Every claim is checked against the bytes; declared EUC-KR is read as CP949.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable

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
_XML_DECL = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.I
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_SINGLE_BYTE = ("latin", "iso8859", "cp125", "ascii")


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


def xml_declared(data: bytes) -> str | None:
    """The encoding an XML prolog names."""
    match = _XML_DECL.match(data[:512])
    return match.group(1).decode("ascii") if match else None


def meta_declared(data: bytes) -> str | None:
    """The charset an HTML `<meta>` names, in the first 4 KiB as browsers look."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def choose_encoding(data: bytes, claims: Iterable[str | None]) -> str | None:
    """The codec the bytes really are in, from the claims made about them (in order of trust).

    A UTF-8 BOM on valid UTF-8 settles it. Otherwise a claim is kept only if the bytes decode
    cleanly with it, and a single-byte claim (latin-1 decodes anything) loses to valid UTF-8.
    Undeclared or wrongly declared bytes that read as Korean are CP949. None: nothing settles
    it, leave it to the parser's own detection.
    """
    utf8_ok = _decodes(data, "utf-8")
    if utf8_ok and data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    codecs_claimed = [codec_for(claim) for claim in claims]
    non_ascii = not data.isascii()
    for codec in codecs_claimed:
        if not codec:
            continue
        if codec.startswith(_SINGLE_BYTE) and non_ascii and utf8_ok:
            return "utf-8"
        if _decodes(data, codec):
            return codec
    if utf8_ok:
        return "utf-8" if any(codecs_claimed) else None
    # Real Korean text is mostly Hangul among its non-ASCII characters; misread latin-1 is not.
    if _decodes(data, "cp949"):
        text = data.decode("cp949")
        wide = [ch for ch in text if not ch.isascii()]
        if wide and sum("가" <= ch <= "힣" for ch in wide) >= 0.8 * len(wide):
            return "cp949"
    return None


def decode(data: bytes, codec: str) -> str:
    """Text of the bytes in a codec `choose_encoding` picked (a UTF-8 BOM is dropped)."""
    if codec == "utf-8":
        codec = "utf-8-sig"
    return data.decode(codec, "replace")
