"""One charset decision for feeds and pages: claims are checked against the bytes."""

import codecs
import tracemalloc

import pytest

from newsmon.charset import (
    choose_encoding,
    codec_for,
    decode,
    meta_declared,
    repair_mojibake,
    xml_declared,
)
from newsmon.extract import decode_html, page_encoding
from newsmon.feeds import feed_encoding

KOREAN = "똠방각하, 딥시크가 코드를 오픈소스로 공개했다. " * 3
PAGE = f"<html><head><title>t</title></head><body><p>{KOREAN}</p></body></html>"


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("EUC-KR", "cp949"),
        ("ks_c_5601-1987", "cp949"),
        ("UTF8", "utf-8"),
        ("latin1", "cp1252"),  # as browsers read it (WHATWG): “quotes”, not C1 controls
        ("US-ASCII", "cp1252"),
        ("korean", "cp949"),
        ("iso-ir-149", "cp949"),
        ("csksc56011987", "cp949"),
        ("ks_c_5601-1989", "cp949"),
        ("gb2312", "gb18030"),
        ("shift_jis", "cp932"),
        ("x-mac-roman", "mac-roman"),
        ("unicode-1-1-utf-8", "utf-8"),
        ("x-unknown", None),
        (None, None),
    ],
)
def test_declared_names_map_to_codecs(name: str | None, codec: str | None) -> None:
    assert codec_for(name) == codec


def test_claims_are_found_where_feeds_and_pages_put_them() -> None:
    assert xml_declared(b"<?xml version='1.0' encoding='EUC-KR'?><rss/>") == "EUC-KR"
    assert xml_declared(codecs.BOM_UTF8 + b'<?xml version="1.0" encoding="utf-8"?>') == "utf-8"
    assert xml_declared(b"<rss/>") is None
    assert meta_declared(b'<html><head><meta charset="euc-kr">') == "euc-kr"
    assert (
        meta_declared(b'<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">')
        == "UTF-8"
    )
    assert meta_declared(b"<html>") is None


def test_a_meta_after_a_long_head_is_found() -> None:
    """Real heads put `<meta charset>` after 6-44 KiB of inline style and script; only 4 KiB
    were searched (the search ends at 64 KiB)."""
    head = b"<html><head><style>" + b".a{margin:0}\n" * 2000 + b"</style>"
    assert meta_declared(head + b'<meta charset="euc-kr"></head>') == "euc-kr"
    assert meta_declared(b"<!doctype html>" + b" " * 70_000 + b'<meta charset="euc-kr">') is None
    assert meta_declared(b"<meta " * 20_000) is None


def test_a_claim_that_the_bytes_contradict_loses() -> None:
    cp949 = KOREAN.encode("cp949")
    assert choose_encoding(cp949, ["utf-8", "euc-kr"]) == "cp949"  # the first claim fails
    assert choose_encoding(cp949, ["euc-kr", "utf-8"]) == "cp949"
    assert choose_encoding(KOREAN.encode(), ["euc-kr"]) == "utf-8"  # declared but UTF-8


def test_single_byte_claims_lose_to_valid_utf8() -> None:
    """A latin-1 server default on a UTF-8 page used to turn a page into mojibake."""
    utf8 = PAGE.encode()
    assert choose_encoding(utf8, ["iso-8859-1"]) == "utf-8"
    assert choose_encoding("Café".encode("latin-1"), ["iso-8859-1"]) == "cp1252"
    quoted = "\u201cCaf\u00e9\u201d \u2014 \u20ac5".encode("cp1252")
    assert decode(quoted, choose_encoding(quoted, ["iso-8859-1"]) or "") == "“Café” — €5"


def test_undeclared_bytes() -> None:
    assert choose_encoding(KOREAN.encode("cp949"), [None]) == "cp949"  # reads as Korean
    assert choose_encoding(KOREAN.encode(), []) is None  # valid UTF-8: the parser will see
    assert choose_encoding("Caf\u00e9 cr\u00e8me".encode("latin-1"), []) is None  # not Korean
    # a wire feed's titles: hanja and marks as much as Hangul (Hangul alone was asked for)
    titles = "[速報] 美·中 首腦會談 開催…北核 論議 “綜合” 韓·日 外相 會談 오늘 開幕"
    assert choose_encoding(titles.encode("cp949"), []) == "cp949"
    assert choose_encoding("漢字記號 ".encode("cp949"), []) is None  # no Hangul: Chinese?
    assert choose_encoding("GRÖßE ÄNDERN".encode("latin-1"), []) is None


def test_a_bom_settles_it_and_is_dropped() -> None:
    data = codecs.BOM_UTF8 + PAGE.encode()
    assert choose_encoding(data, ["euc-kr"]) == "utf-8"
    assert decode(data, "utf-8").startswith("<html>")
    contradicted = codecs.BOM_UTF8 + KOREAN.encode("cp949")  # the BOM is a claim like any other
    assert choose_encoding(contradicted, ["euc-kr"]) == "cp949"


def test_feeds_and_pages_share_the_decision_in_their_own_order_of_claims() -> None:
    # both claims decode these ASCII-only bytes: the first in each one's order wins
    xml = b'<?xml version="1.0" encoding="euc-kr"?><rss/>'
    assert feed_encoding(xml, "utf-8") == "cp949"  # feeds: the XML prolog first
    html = b'<html><head><meta charset="euc-kr"></head></html>'
    assert page_encoding(html, "utf-8") == "utf-8"  # pages: the HTTP header first
    assert (
        feed_encoding(PAGE.encode(), "iso-8859-1")
        == page_encoding(PAGE.encode(), "iso-8859-1")
        == "utf-8"
    )


def test_decode_html_reads_a_page_with_a_wrong_latin1_header() -> None:
    assert KOREAN in decode_html(PAGE.encode(), "iso-8859-1")
    assert KOREAN in decode_html(PAGE.encode("cp949"), "utf-8")


@pytest.mark.parametrize(
    "name", ["undefined", "unicode-escape", "raw_unicode_escape", "utf-7", "punycode", "base64"]
)
def test_python_codecs_no_page_is_in_are_no_claim(name: str) -> None:
    """ "undefined" raised on every byte (the feed failed every pass); the escape codecs made
    text of backslashes; base64 and the like are not text encodings."""
    assert codec_for(name) is None
    assert choose_encoding(b"<p>C:\\u202e \\x00</p>", [name]) is None
    assert choose_encoding(KOREAN.encode(), [name]) is None
    assert choose_encoding(KOREAN.encode("cp949"), [name]) == "cp949"


@pytest.mark.parametrize(
    "name", ["iso-2022-kr", "csiso2022kr", "hz-gb-2312", "iso-2022-cn", "iso-2022-jp-2"]
)
def test_shifting_codecs_browsers_never_decode_with_are_no_claim(name: str) -> None:
    """WHATWG maps these labels to its "replacement" encoding (or knows none): HZ read ASCII
    "~{fast~}" as two Chinese characters, ISO-2022-KR read bytes after SO as Hangul."""
    assert codec_for(name) is None
    assert choose_encoding(b"<p>cfg=~{fast~} \x1b$)C\x0e0!\x0f</p>", [name]) is None
    assert choose_encoding(KOREAN.encode("cp949"), [name]) == "cp949"
    assert codec_for("iso-2022-jp") == "iso2022_jp"  # a WHATWG encoding, as browsers read it


def test_a_wide_claim_counts_only_for_bytes_that_look_wide() -> None:
    """UTF-16 decodes any even run of bytes: a `<meta charset="utf-16">` (a page saved by an
    editor, then served as UTF-8) turned the article into CJK noise."""
    utf8 = PAGE.replace("<title>", '<meta charset="utf-16"><title>').encode()
    utf8 += b" " * (len(utf8) % 2)
    assert page_encoding(utf8) == "utf-8"
    assert page_encoding(utf8, "utf-16le") == "utf-8"
    assert choose_encoding(b"<p>hi</p>", ["utf-16"]) == "utf-8"
    wide = PAGE.encode("utf-16-le")  # no BOM: the claim is all there is, and it fits
    assert page_encoding(wide, "utf-16le") == "utf-16-le"
    assert KOREAN in decode_html(wide, "utf-16le")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_a_wide_bom_settles_it_whatever_the_header_says(codec: str) -> None:
    bom = {"utf-16": b"", "utf-16-be": codecs.BOM_UTF16_BE, "utf-32": b""}[codec]
    data = bom + PAGE.encode(codec)
    assert KOREAN in decode_html(data, "utf-8")
    assert KOREAN in decode_html(data, "euc-kr")
    assert decode_html(data).startswith("<html>")
    assert KOREAN[:10] in decode_html(data[:-1])  # cut mid-character at the size cap


# Korean portals pasted EUC-KR includes (an advert, a footer) into pages they moved to UTF-8,
# and a page cut at the size cap can end mid-character.
STRAY = "광고 문의 ⓒ 무단전재 및 재배포 금지".encode("cp949")


@pytest.mark.parametrize("claims", [["utf-8"], [], ["iso-8859-1"], ["utf-8", "euc-kr"]])
def test_utf8_with_a_few_stray_bytes_is_utf8(claims: list[str]) -> None:
    """No codec read such bytes cleanly, so trafilatura guessed one from them (mac_latin2,
    cp1256) and the whole article came out as mojibake; a browser reads them as UTF-8."""
    stray = PAGE.encode().replace(b"</body>", STRAY + b"</body>")
    assert choose_encoding(stray, claims) == "utf-8"
    assert KOREAN in decode(stray, "utf-8")
    cut = PAGE.encode()[: PAGE.encode().index("공개".encode()) + 1]  # mid-character
    assert choose_encoding(cut, claims) == "utf-8"


def test_legacy_korean_bytes_are_not_taken_for_utf8_with_stray_bytes() -> None:
    """In CP949 text a few syllables are valid UTF-8 by chance (C7 A1...): legacy bytes are
    mostly invalid as UTF-8, far over what a stray include makes."""
    assert choose_encoding(PAGE.encode("cp949"), ["utf-8"]) == "cp949"
    assert choose_encoding(PAGE.encode("cp949") + "공개".encode(), []) == "cp949"


def test_a_single_byte_claim_loses_to_a_later_multibyte_claim_that_reads_the_bytes() -> None:
    """latin-1 reads any bytes: a server's default said nothing about an EUC-KR page."""
    cp949 = PAGE.encode("cp949")
    assert choose_encoding(cp949, ["iso-8859-1", "euc-kr"]) == "cp949"
    assert choose_encoding(cp949, ["windows-1252", "ks_c_5601-1987"]) == "cp949"
    latin = "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e".encode("latin-1")  # no multi-byte reading
    assert choose_encoding(latin, ["iso-8859-1", "euc-kr"]) == "cp1252"


@pytest.mark.parametrize("claims", [["euc-kr"], ["euc-kr", "utf-8"], ["shift_jis"], ["gb2312"]])
def test_a_few_utf8_hangul_words_are_utf8_whatever_legacy_claim_they_also_read_as(
    claims: list[str],
) -> None:
    """종합 and 기자 in UTF-8 are also valid CP949 (醫낇빀, 湲곗옄): the claim won."""
    data = "Seoul (종합) - 최현 기자".encode()
    data.decode("cp949")  # the legacy reading exists
    assert choose_encoding(data, claims) == "utf-8"
    assert choose_encoding(PAGE.encode("cp949"), ["utf-8", "euc-kr"]) == "cp949"


@pytest.mark.parametrize(
    ("text", "codec"),
    [("漢字記號 ", None), ("딥시크 공개 ", "cp949")],
    ids=["hanja", "hangul"],
)
def test_undeclared_legacy_bytes_are_told_in_memory_of_their_size(
    text: str, codec: str | None
) -> None:
    """Telling undeclared Korean text kept each of its non-ASCII characters as an object of its
    own: 37 times its bytes (366 MB for a feed under the 10 MB cap, in a worker capped at
    1 GB)."""
    data = text.encode("cp949") * 200_000  # 1-2 MB
    size = len(data)
    tracemalloc.start()
    try:
        assert choose_encoding(data, []) == codec
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * size  # the text and a copy; 37 times before


@pytest.mark.parametrize("text", ["오픈소스 공개", "‘Open’ — Meta’s €0 café", "Größe: naïve"])
def test_text_encoded_twice_is_repaired(text: str) -> None:
    """A CMS that read UTF-8 as windows-1252 and wrote it back: "ì˜¤í”ˆì†ŒìŠ¤" was kept."""
    assert repair_mojibake(text.encode().decode("cp1252", "replace")) == text


@pytest.mark.parametrize(
    "text",
    [
        "Meta’s “Llama” — €0",
        "naïve façade, GRÖßE",
        "[速報] 美·中 首腦會談 오늘",
        "ＡＩ 안전 ﬁnance",
        "The letter 'Ã' alone",
        "Привет, Ελλάδα",
        "plain ASCII",
    ],
)
def test_clean_text_is_not_touched(text: str) -> None:
    assert repair_mojibake(text) == text
