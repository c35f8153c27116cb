"""Which encoding bytes from the web are really in: one decision for feeds and pages alike.

Sites declare charsets in several places (BOM, HTTP header, XML prolog, `<meta>`) and are often
wrong. Every claim is checked against the bytes; declared EUC-KR is read as CP949.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from typing import Any

import ftfy
from ftfy.badness import is_bad
from w3lib.encoding import resolve_encoding

# EUC-KR pages and feeds routinely carry CP949-only syllables (똠, 햏); CP949 is a strict
# superset, so every Korean legacy name is read as CP949 (the WHATWG Encoding Standard's
# euc-kr labels, and names servers use besides).
KOREAN_LEGACY = frozenset(
    {
        "cseuckr",
        "csksc56011987",
        "euc-kr",
        "euc_kr",
        "euckr",
        "iso-ir-149",
        "korean",
        "ks_c_5601-1987",
        "ks_c_5601-1989",
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
# Labels of the WHATWG table Python's codecs do not know; the ones they know are read as
# browsers read them by w3lib's table (latin-1 and ASCII as windows-1252, gb2312 as GB18030,
# shift_jis as CP932, big5 as Big5-HKSCS).
_WHATWG_ONLY = {
    "unicode-1-1-utf-8": "utf-8",
    "unicode11utf8": "utf-8",
    "unicode20utf8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "dos-874": "cp874",
    "x-gbk": "gb18030",
    "x-euc-jp": "euc_jp",
    "cseucpkdfmtjapanese": "euc_jp",
    "csshiftjis": "cp932",
    "ms_kanji": "cp932",
    "csbig5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "x-mac-roman": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-ukrainian": "mac_cyrillic",
    **{f"x-cp125{n}": f"cp125{n}" for n in range(9)},
}
_XML_DECL = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.I
)
# a tag's attributes are short: bounded, a run of "<meta" without ">" costs no quadratic scan
_META_CHARSET = re.compile(rb"""<meta[^>]{1,1000}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
# Browsers prescan 1 KiB, then obey a `<meta>` their parser meets later; real heads put it
# after 6-44 KiB of inline style, script and JSON-LD (shared corpus: Clarín at 44 KiB).
META_SEARCH_BYTES = 64 * 1024
_HANGUL = re.compile("[가-힣]+")
# Hanja (CJK ideographs, KS X 1001's and CP949's compatibility ones) and the marks Korean
# headlines carry (·, …, “”, 【】, fullwidth forms), which say nothing of the language.
_HANJA = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_MIN_HANJA_LETTERS = 16
_MARKS = re.compile("[\u00a0-\u00bf\u00d7\u00f7\u2000-\u27bf\u3000-\u303f\uff00-\uffef]+")
_SINGLE_BYTE = ("latin", "iso8859", "cp125", "cp874", "cp866", "ascii", "mac", "koi8")
# Python codecs no web page is in: they raise on any byte ("undefined"), expand backslash
# escapes or "+...-" runs into other characters (WHATWG forbids UTF-7), or are not text
# encodings at all (base64, rot13, zlib: LookupError when decoding). A page naming one is
# undeclared.
# So are the 7-bit shifting codecs the WHATWG table maps to its "replacement" encoding
# (iso-2022-kr, hz-gb-2312; iso-2022-cn has no Python codec) or does not know (the iso-2022-jp
# variants but iso-2022-jp itself): browsers never decode with them, as their shift sequences
# turn plain ASCII ("~{fast~}", markup) into other characters and hide it from filters.
_NOT_WEB = frozenset(
    {"undefined", "unicode-escape", "raw-unicode-escape", "punycode", "idna", "iso2022_kr", "hz"}
    | {f"iso2022_jp_{variant}" for variant in ("1", "2", "2004", "3", "ext")}
)
_NOT_WEB_PREFIX = ("utf-7", "utf_7")
# UTF-16/32: any even (or 4n) run of bytes decodes, so a claim of one is believed only of bytes
# that look it (markup in a wide encoding is mostly NUL bytes; UTF-8 and CP949 have none).
_WIDE = ("utf-16", "utf-32")
# Byte order marks settle the encoding before any claim (as browsers do), longest first.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# XML in UTF-16 without a byte order mark: its first character "<" (after any spaces) and the
# next in two bytes each, where the NUL byte says the order (XML 1.0, appendix F).
_WIDE_XML = (
    (re.compile(rb"(?:[ \t\r\n]\x00)*<\x00[?!A-Za-z]\x00"), "utf-16-le"),
    (re.compile(rb"(?:\x00[ \t\r\n])*\x00<\x00[?!A-Za-z]"), "utf-16-be"),
)


def codec_for(name: str | None) -> str | None:
    """The Python codec for a declared charset as browsers read it, or None when unknown."""
    if not name:
        return None
    name = name.strip().lower()
    if name in KOREAN_LEGACY:
        return "cp949"
    resolved = _WHATWG_ONLY.get(name) or resolve_encoding(name)
    if not resolved:
        return None
    try:
        info = codecs.lookup(resolved)
    except LookupError:
        return None
    if (
        info.name in _NOT_WEB
        or info.name.startswith(_NOT_WEB_PREFIX)
        or not getattr(info, "_is_text_encoding", True)
    ):
        return None
    return info.name


def _looks_wide(data: bytes) -> bool:
    """Whether bytes could be UTF-16/32 text: at least one byte in eight is NUL."""
    return data.count(b"\x00") * 8 >= len(data) > 0


def xml_declared(data: bytes) -> str | None:
    """The encoding an XML prolog names."""
    match = _XML_DECL.match(data[:512])
    return match.group(1).decode("ascii") if match else None


def xml_wide(data: bytes) -> str | None:
    """The byte order of XML in UTF-16 that has no byte order mark (`_WIDE_XML`), else None:
    served as text/xml without a charset, feedparser read it as ASCII; said to be "utf-16", it
    was read in the machine's order."""
    for pattern, codec in _WIDE_XML:
        if pattern.match(data):
            return codec
    return None


def meta_declared(data: bytes) -> str | None:
    """The charset an HTML `<meta>` names, in the first 64 KiB (`META_SEARCH_BYTES`): only
    4 KiB were searched, and a legacy page behind a server's latin-1 default was mojibake."""
    match = _META_CHARSET.search(data[:META_SEARCH_BYTES])
    return match.group(1).decode("ascii", "replace") if match else None


def _mostly_utf8(data: bytes) -> bool:
    """Whether bytes that are not valid UTF-8 are UTF-8 with a few stray bytes (an EUC-KR
    advert or footer pasted into a UTF-8 page, a cut mid-character at the size cap): more of
    their non-ASCII characters read as UTF-8 than there are invalid bytes. Legacy Korean text
    is far from it (on real EUC-KR and CP949 feeds 0.15-0.24 characters per invalid byte: only
    a few syllables are valid UTF-8 by chance)."""
    text = data.decode("utf-8", "replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return 0 < invalid < non_ascii - invalid


def decodes(data: bytes, codec: str) -> bool:
    """Whether the bytes are all text in the codec."""
    try:
        data.decode(codec)
    except (UnicodeError, LookupError):
        return False
    return True


def choose_encoding(data: bytes, claims: Iterable[str | None]) -> str | None:
    """The codec the bytes really are in, from the claims made about them (in order of trust).

    A UTF-8 BOM on valid UTF-8 settles it, as does a UTF-16/32 BOM; so does any claim on
    valid UTF-8 that is not all ASCII (the claim wrong, or UTF-8 itself). Otherwise a claim is kept
    only if the bytes decode cleanly with it, a single-byte claim (latin-1 decodes anything)
    loses to UTF-8 and to a later multi-byte claim that reads the bytes, and a UTF-16/32 claim
    (which decodes almost anything) counts only for bytes that look wide.
    Bytes that no claim reads and that are UTF-8 but for a few stray bytes are UTF-8 (read
    with U+FFFD for those, as browsers do): left to the parser, it guessed a codec from them and
    made the whole page mojibake. Undeclared or wrongly declared bytes that read as Korean
    (`_reads_as_korean`) are CP949. None: nothing settles it, leave it to the parser's own
    detection.
    """
    utf8_ok = decodes(data, "utf-8")
    if utf8_ok and data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    for bom, by_bom in _BOMS:
        if data.startswith(bom):  # a cut at the size cap may end mid-character: "replace"
            return by_bom
    codecs_claimed = [codec_for(claim) for claim in claims]
    non_ascii = not data.isascii()
    if utf8_ok and non_ascii and any(codecs_claimed):
        # Legacy text (CP949, Shift_JIS, latin-1) is almost never valid UTF-8 by chance, while
        # a few UTF-8 Hangul words often read as CP949 too (종합 as 醫낇빀): UTF-8 it is.
        return "utf-8"
    mostly_utf8 = utf8_ok or (non_ascii and _mostly_utf8(data))
    usable = [
        codec
        for codec in codecs_claimed
        if codec and not (codec.startswith(_WIDE) and not _looks_wide(data))
    ]
    for at, codec in enumerate(usable):
        if codec.startswith(_SINGLE_BYTE) and non_ascii:
            if mostly_utf8:
                return "utf-8"
            # A single-byte codec reads any bytes, so its claim (a server's latin-1 default)
            # says nothing of them; a later multi-byte claim that reads them cleanly does.
            for later in usable[at + 1 :]:
                if not later.startswith(_SINGLE_BYTE) and decodes(data, later):
                    return later
        if decodes(data, codec):
            return codec
    if utf8_ok:
        return "utf-8" if any(codecs_claimed) else None
    if mostly_utf8:
        return "utf-8"
    return "cp949" if decodes(data, "cp949") and _reads_as_korean(data.decode("cp949")) else None


def _reads_as_korean(text: str) -> bool:
    """Whether legacy bytes read as CP949 are Korean: Hangul makes most of the letters that
    are not ASCII, or, in text long enough that misread latin-1 could not have decoded cleanly
    (`_MIN_HANJA_LETTERS`: "ÄN" is a CP949 syllable, "é " is no character), Hangul and hanja
    do. Wire titles are as much hanja as Hangul ("[速報] 美·中 首腦會談 오늘"): asking for
    Hangul alone left them to the parser's latin-1 guess."""
    # counted on copies of the text: a list of its characters took 37 times its bytes
    wide = len(text) - len(text.encode("ascii", "ignore"))
    letters = wide - (len(text) - len(_MARKS.sub("", text)))
    hangul = len(text) - len(_HANGUL.sub("", text))
    if not hangul:
        return False
    if hangul >= 0.8 * letters:
        return True
    hanja = len(text) - len(_HANJA.sub("", text))
    return letters >= _MIN_HANJA_LETTERS and hangul + hanja >= 0.8 * letters


def decode(data: bytes, codec: str) -> str:
    """Text of the bytes in a codec `choose_encoding` picked (a UTF-8 BOM is dropped)."""
    if codec == "utf-8":
        codec = "utf-8-sig"
    return data.decode(codec, "replace")


def repair_mojibake(text: str) -> str:
    """Text a publisher encoded twice (UTF-8 read as windows-1252 and written again as UTF-8:
    "ì˜¤í”ˆì†ŒìŠ¤" for 오픈소스) as it was written, by ftfy; only text ftfy's badness measure
    calls mojibake is touched, so clean text (“quotes”, é, 美·中, ＡＩ) comes back as it is."""
    if text.isascii() or not is_bad(text):
        return text
    return ftfy.fix_encoding(text)


# text of one page given to ftfy, at most: its repair is linear, ~0.5 s a million characters of
# ordinary mojibake but ~4 µs a character of crafted ("ì˜ 한": a lead pair it tries to decode
# each time, and cannot), so a million took 4-8 s of a page's 10 s budget; 200,000 is ~1 s at
# worst, and a page's whole text (its menus too) is seldom a quarter of it
MAX_REPAIR_CHARS = 200_000


class RepairBudget:
    """Characters of one feed's text given to ftfy, at most (`MAX_REPAIR_CHARS`, as a page's).
    Each entry's fields are capped, so each entry's repair was cheap alone; a feed of 100
    entries of crafted mojibake took 24 s of CPU, over its parse budget, and failed whole.
    Past the budget text is kept as written (its keys never depend on the repair), and the
    pieces so kept are counted (`refused`)."""

    def __init__(self, chars: int = MAX_REPAIR_CHARS) -> None:
        self.left = chars
        self.refused = 0

    def repair(self, text: str) -> str:
        """`repair_mojibake(text)` while the budget lasts, else `text` as it is."""
        if text.isascii() or not is_bad(text):
            return text
        if len(text) > self.left:
            self.refused += 1
            return text
        self.left -= len(text)
        return ftfy.fix_encoding(text)


# a UTF-8 lead byte then a continuation byte, read as windows-1252 or latin-1 ("ì˜", "Ã©",
# "â€"): text without such a pair holds no mojibake of UTF-8 and is not given to ftfy's
# measure, ~0.1 ms a piece of text (French "é" is followed by a letter, not by these)
_CP1252_HIGH = "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
_CP1252_HIGH += "\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
_UTF8_LEAD = re.compile(f"[\u00c2-\u00f4][\u0080-\u00bf{_CP1252_HIGH}]")
# the same pair as the page's UTF-8 bytes
_UTF8_LEAD_BYTES = re.compile(b"\xc3[\x82-\xb4](?:\xc2|\xc5|\xc6|\xcb|\xe2)")


def may_hold_mojibake(page: bytes | str) -> bool:
    """Whether the page (its bytes, or its text) may hold UTF-8 text encoded twice: it holds a
    UTF-8 lead byte read as windows-1252. One scan of the page spares the tree's walk (Korean
    pages, English ones)."""
    found = _UTF8_LEAD_BYTES.search(page) if isinstance(page, bytes) else _UTF8_LEAD.search(page)
    return found is not None


def repair_tree_mojibake(root: Any) -> int:
    """Repair, in the tree `root` (lxml), each piece of text encoded twice (`repair_mojibake`),
    up to `MAX_REPAIR_CHARS` of such text; the number of pieces changed. In the tree, before
    extraction: trafilatura's clean-up drops the C1 controls and folds the no-break spaces of
    latin-1 mojibake, and the body could not be read back. Titles in feeds were repaired, bodies
    were stored as "ì˜¤í”ˆì†ŒìŠ¤": unreadable in alerts, and no Korean rule matched them."""
    budget = MAX_REPAIR_CHARS
    changed = 0
    for element in root.iter():
        for attr in ("text", "tail"):
            piece = getattr(element, attr)
            if not piece or not _UTF8_LEAD.search(piece) or len(piece) > budget:
                continue
            if not is_bad(piece):
                continue
            budget -= len(piece)
            fixed = ftfy.fix_encoding(piece)
            if fixed != piece:
                setattr(element, attr, fixed)
                changed += 1
    return changed
