"""One charset decision for feeds and pages: claims are checked against the bytes."""

import codecs

import pytest

from newsmon.charset import choose_encoding, codec_for, decode, meta_declared, xml_declared
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
        ("latin1", "iso8859-1"),
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


def test_a_claim_that_the_bytes_contradict_loses() -> None:
    cp949 = KOREAN.encode("cp949")
    assert choose_encoding(cp949, ["utf-8", "euc-kr"]) == "cp949"  # the first claim fails
    assert choose_encoding(cp949, ["euc-kr", "utf-8"]) == "cp949"
    assert choose_encoding(KOREAN.encode(), ["euc-kr"]) == "utf-8"  # declared but UTF-8


def test_single_byte_claims_lose_to_valid_utf8() -> None:
    """A latin-1 server default on a UTF-8 page used to turn a page into mojibake."""
    utf8 = PAGE.encode()
    assert choose_encoding(utf8, ["iso-8859-1"]) == "utf-8"
    assert choose_encoding("Café".encode("latin-1"), ["iso-8859-1"]) == "iso8859-1"


def test_undeclared_bytes() -> None:
    assert choose_encoding(KOREAN.encode("cp949"), [None]) == "cp949"  # reads as Korean
    assert choose_encoding(KOREAN.encode(), []) is None  # valid UTF-8: the parser will see
    assert choose_encoding("Caf\u00e9 cr\u00e8me".encode("latin-1"), []) is None  # not Korean


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
