"""Pages and feeds whose charset claims disagree (or whose bytes stray), served as exact bytes
and read by the real pipeline (no Prefect): the stored title, text and topics are the words
the publisher wrote."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.corpus.records import ArticleView
from newsmon.devsite import SiteServer, serve
from newsmon.pipeline import Context, process_feeds
from tests.support.configs import make_config

# 똠 is one of the syllables only CP949 (windows-949) has; EUC-KR proper cannot encode it.
# Each page its own story (a copy of another would be stored as its duplicate, without topics).
STORIES = {
    "똠": "똠방각하 딥시크가 모델 가중치와 학습 코드를 오픈소스로 공개했다. 연구자들은 깃허브에서 내려받을 수 있다. ",
    "믜": "믜리내 연구소는 새 언어모델을 오픈소스로 풀었다. 기업들은 이 모델을 사내 서버에 설치해 쓸 수 있다고 밝혔다. ",
}


def korean_page(meta: str, story: str) -> bytes:
    text = STORIES[story]
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={meta}">'
        f"<title>오픈소스 공개</title></head><body><article><h1>오픈소스 공개</h1>"
        f"<p>{text * 4}</p><p>{text * 3}</p></article></body></html>"
    ).encode("cp949")


ENGLISH = (
    "\u201cOpen source\u201d models \u2014 Meta\u2019s Llama among them \u2014 ship their weights; "
    "the lab\u2019s statement said each licence costs \u20ac0 for researchers. "
)
ENGLISH_KO = (
    "(종합) Seoul lab releases an open source language model with its weights on GitHub; "
    "the 발표 says researchers may fine-tune and redistribute it under an Apache licence. "
)
# A Korean wire feed's titles: hanja, brackets and quotes as much as Hangul.
KOREAN_TITLE = "[단독] 美·中 “오픈소스” 똠방각하 公開"
UTF8_TITLE = "Open model weights (종합)"


def rss(items: dict[str, str], encoding: str = "utf-8") -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        "<pubDate>Mon, 24 Feb 2025 09:00:00 +0900</pubDate></item>"
        for link, title in items.items()
    )
    return f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "site"
    root.mkdir()
    pages: dict[str, tuple[str, bytes, str]] = {
        # Apache's old AddDefaultCharset ISO-8859-1 in front of an EUC-KR site
        "/latin1-header.html": ("latin-1 header", korean_page("euc-kr", "똠"), "iso-8859-1"),
        "/cp1252-header.html": (
            "windows-1252 header",
            korean_page("ks_c_5601-1987", "믜"),
            "windows-1252",
        ),
    }
    # old servers say latin-1 of pages written in Windows' code page: “quotes”, dashes, €
    english = f"<html><head><title>t</title></head><body><article><p>{ENGLISH * 6}</p></article></body></html>"
    pages["/latin1-quotes.html"] = ("latin-1 quotes", english.encode("cp1252"), "iso-8859-1")
    # UTF-8 with a few Hangul words (a dateline tag, a byline) that happen to read as CP949 too,
    # under a legacy euc-kr claim: the server's header, a feed template's XML prolog
    # (the reporter named in a sentence: a closing byline line is chrome, not stored)
    byline = f"<p>{ENGLISH_KO * 5}</p><p>최현 기자가 현장에서 전했다.</p>"
    pages["/utf8-euckr-header.html"] = (
        "euc-kr header on UTF-8",
        f'<html><head><meta charset="utf-8"><title>t</title></head><body><article>{byline}</article></body></html>'.encode(),
        "euc-kr",
    )
    routes = {}
    for path, (_, body, charset) in pages.items():
        (root / path.lstrip("/")).write_bytes(body)
        routes[path] = {"file": path.lstrip("/"), "content_type": f"text/html; charset={charset}"}
    (root / "feed.xml").write_text(rss({p: t for p, (t, _, _) in pages.items()}), encoding="utf-8")
    # EUC-KR feeds under other names the WHATWG label table gives it
    for label in KOREAN_LABELS:
        feed = rss({"/latin1-header.html": KOREAN_TITLE}, label).encode("cp949")
        (root / f"{label}.xml").write_bytes(feed)
        routes[f"/{label}.xml"] = {"file": f"{label}.xml", "content_type": "text/xml"}
    # a UTF-8 feed with an EUC-KR advert pasted in, and one cut mid-character at the size cap
    utf8 = rss({"/latin1-header.html": KOREAN_TITLE}).encode()
    advert = "<!-- 광고 문의 -->".encode("cp949")
    (root / "stray.xml").write_bytes(utf8.replace(b"<item>", advert + b"<item>"))
    (root / "cut.xml").write_bytes(utf8 + "<!-- 광고".encode()[:-1])
    legacy = rss({"/latin1-header.html": UTF8_TITLE}, "euc-kr").encode()
    (root / "legacy-prolog.xml").write_bytes(legacy)
    routes["/legacy-prolog.xml"] = {"file": "legacy-prolog.xml", "content_type": "text/xml"}
    for name in ("stray.xml", "cut.xml"):
        routes[f"/{name}"] = {"file": name, "content_type": "application/rss+xml; charset=utf-8"}
    (root / "_routes.json").write_text(json.dumps(routes))
    with serve(root) as server:
        yield server


KOREAN_LABELS = ["korean", "iso-ir-149", "csksc56011987", "ks_c_5601-1989", "cseuckr"]


def stored(
    tmp_path: Path, site: SiteServer, feed: str = "/feed.xml"
) -> dict[str | None, ArticleView]:
    config = make_config(
        tmp_path, feeds=[("f", feed)], base=site.base, fetch={"allow_private_networks": True}
    )
    ctx = Context.open(config)

    async def go() -> None:
        async with ctx.fetching() as fetcher:
            await process_feeds(ctx, fetcher, config.feeds)

    try:
        asyncio.run(go())
        return {a.title: a for a in ctx.store.list_articles(limit=100)}
    finally:
        ctx.close()


@pytest.mark.parametrize(
    ("title", "story"), [("latin-1 header", "똠"), ("windows-1252 header", "믜")]
)
def test_a_korean_page_behind_a_single_byte_header_default_is_read_in_its_meta_charset(
    tmp_path: Path, site: SiteServer, title: str, story: str
) -> None:
    """A single-byte charset decodes any bytes, so it says nothing about them; the page's own
    `<meta>` names a multi-byte charset that reads them cleanly. Read as latin-1 the article
    was mojibake: no topic, the wrong language."""
    article = stored(tmp_path, site)[title]
    assert STORIES[story].strip() in article.text
    assert "open-source" in article.topics
    assert article.language == "ko"


def test_a_page_said_to_be_latin1_is_read_as_windows_1252(tmp_path: Path, site: SiteServer) -> None:
    """Browsers read the label as windows-1252 (WHATWG Encoding Standard): its quotes, dashes
    and euro sign were stored as invisible C1 controls."""
    article = stored(tmp_path, site)["latin-1 quotes"]
    assert ENGLISH.strip() in article.text
    assert "open-source" in article.topics


@pytest.mark.parametrize("label", KOREAN_LABELS)
def test_a_feed_naming_euc_kr_by_another_label_keeps_its_titles(
    tmp_path: Path, site: SiteServer, label: str
) -> None:
    """Only some of EUC-KR's labels were known (and "korean" as EUC-KR proper, without 똠):
    a title of hanja and quotes as much as Hangul was left to feedparser's guess and stored
    as latin-1 mojibake."""
    assert KOREAN_TITLE in stored(tmp_path, site, f"/{label}.xml")


@pytest.mark.parametrize("feed", ["/stray.xml", "/cut.xml"])
def test_a_utf8_feed_with_a_few_stray_bytes_keeps_its_titles(
    tmp_path: Path, site: SiteServer, feed: str
) -> None:
    """The bytes were rightly judged UTF-8, but feedparser, told so, failed on the strays and
    read the whole feed in a codec of its own guess: every title mojibake."""
    assert KOREAN_TITLE in stored(tmp_path, site, feed)


def test_utf8_under_a_legacy_korean_claim_is_read_as_utf8(tmp_path: Path, site: SiteServer) -> None:
    """A few Hangul words in UTF-8 often read as CP949 too (종합 as 醫낇빀): the euc-kr claim
    won and the byline, dateline tag or title came out as hanja noise. Valid UTF-8 with non-ASCII
    bytes is UTF-8 (legacy Korean text is almost never valid UTF-8)."""
    page = stored(tmp_path, site)["euc-kr header on UTF-8"]
    assert ENGLISH_KO.strip() in page.text and "최현 기자가 현장에서 전했다." in page.text
    (tmp_path / "feed").mkdir()
    assert UTF8_TITLE in stored(tmp_path / "feed", site, "/legacy-prolog.xml")


# A Korean portal's <head>: inline styles and scripts (analytics, ad slots) before its meta.
LONG_HEAD = "<style>" + ".ad{margin:0 auto;padding:0}\n" * 250 + "</style>"
# An English page with "~{" in a code sample: HZ reads "~{...~}" as GB2312 in 7 bits.
TILDE = "Run the open source model with the weights: cfg=~{fast~} on GitHub, ~~not~~ today. "
# A wire feed's titles in CP949 without any declaration: hanja and punctuation before Hangul.
HANJA_TITLES = ["[速報] 美·中 首腦會談 開催…北核 論議", "(綜合) 韓·日 外相 會談 오늘 開幕"]


@pytest.fixture
def tricky(tmp_path: Path) -> Iterator[SiteServer]:
    root = tmp_path / "tricky"
    root.mkdir()
    text = STORIES["똠"]
    late_meta = (
        f"<html><head><title>오픈소스 공개</title>{LONG_HEAD}"
        '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr"></head>'
        f"<body><article><h1>오픈소스 공개</h1><p>{text * 4}</p><p>{text * 3}</p></article>"
        "</body></html>"
    ).encode("cp949")
    assert late_meta.find(b"<meta") > 4096
    tilde = f"<html><head><title>t</title></head><body><article><p>{TILDE * 8}</p></article></body></html>"
    routes: dict[str, dict[str, str]] = {
        "/late-meta.html": {"content_type": "text/html; charset=iso-8859-1"},
        "/hz.html": {"content_type": "text/html; charset=hz-gb-2312"},
        "/hanja.xml": {"content_type": "text/xml"},
    }
    (root / "late-meta.html").write_bytes(late_meta)
    (root / "hz.html").write_bytes(tilde.encode("ascii"))
    items = dict(zip(["/late-meta.html", "/hz.html"], HANJA_TITLES, strict=True))
    undeclared = rss(items).replace(' encoding="utf-8"', "")
    (root / "hanja.xml").write_bytes(undeclared.encode("cp949"))
    (root / "feed.xml").write_text(rss({"/late-meta.html": "late", "/hz.html": "hz"}))
    for path, route in routes.items():
        route["file"] = path.lstrip("/")
    (root / "_routes.json").write_text(json.dumps(routes))
    with serve(root) as server:
        yield server


def test_a_meta_charset_after_a_long_head_is_read(tmp_path: Path, tricky: SiteServer) -> None:
    """Korean portals put kilobytes of inline style and script before their `<meta>`; only
    the first 4 KiB were searched, so behind a server's latin-1 default the page was stored as
    windows-1252 mojibake (no topic, the wrong language)."""
    article = stored(tmp_path, tricky)["late"]
    assert STORIES["똠"].strip() in article.text
    assert article.language == "ko"


def test_a_replacement_label_is_no_claim(tmp_path: Path, tricky: SiteServer) -> None:
    """hz-gb-2312 and iso-2022-kr are the WHATWG "replacement" encoding (browsers never decode
    with them: their shift sequences hide markup from filters). Python decoded the page with HZ
    and "~{...~}" in ASCII text became Chinese characters."""
    assert TILDE.strip() in stored(tmp_path, tricky)["hz"].text


def test_an_undeclared_cp949_feed_of_hanja_titles_keeps_them(
    tmp_path: Path, tricky: SiteServer
) -> None:
    """Bytes that are not UTF-8 but read cleanly as CP949, mostly hanja and Hangul, are
    Korean: the feed was left to feedparser's guess and its titles stored as mojibake."""
    titles = stored(tmp_path, tricky, "/hanja.xml")
    assert set(HANJA_TITLES) <= set(titles)


# Titles a publisher's CMS read as windows-1252 and wrote back as UTF-8 ("double-encoded").
MANGLED = {"/late-meta.html": "오픈소스 공개", "/hz.html": "Meta’s “Llama” — €0 é"}


def test_a_double_encoded_title_is_repaired_and_clean_ones_kept(
    tmp_path: Path, tricky: SiteServer
) -> None:
    """ "ì˜¤í”ˆì†ŒìŠ¤ ê³µê°œ" was stored, alerted and matched against no rule as it came; the
    clean title beside it is not touched."""
    root = Path(tricky.root)
    items = {
        "/late-meta.html": MANGLED["/late-meta.html"].encode().decode("cp1252"),
        "/hz.html": MANGLED["/hz.html"],
    }
    (root / "mangled.xml").write_text(rss(items), encoding="utf-8")
    assert set(MANGLED.values()) <= set(stored(tmp_path, tricky, "/mangled.xml"))
