"""Feed text as people read it: what a publisher escaped twice is rendered again, invisible
format characters go, letters are composed; text without such quirks is left as it was, and
entry keys do not move."""

from __future__ import annotations

import unicodedata

import pytest

from newsmon.dedup import entry_fingerprint, entry_identity
from newsmon.feeds import FeedEntry, html_to_text, parse_feed, readable

# Escaped twice, the ways real feeds do it: a CDATA description whose HTML was escaped again
# (연합뉴스: "R&amp;amp;D"), a title's entity escaped again (AI Business: "&amp;quot;"), a
# WordPress curly quote as a literal reference, markup escaped again ("&lt;b&gt;" in the HTML).
# The title opens with a byte order mark and the description holds zero-width spaces, a soft
# hyphen and a word joiner (AI타임스, TechCrunch). No link, no GUID: keyed by its text.
QUIRKY_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Agency</title><link>https://agency.example/</link>
<item><title>&#xFEFF;Nebius Embarks on &amp;quot;Asset-Light&amp;quot; Data Center Model</title>
<description><![CDATA[<p>R&amp;amp;D that&amp;#8217;s&amp;nbsp;new &lt;b&gt;bold&lt;/b&gt;</p>
<p>&#x200B;Second&#x00AD;line &amp;copy; 2025 &#x2060;end</p>]]></description></item>
</channel></rss>"""


def test_text_escaped_twice_reads_as_meant() -> None:
    [entry] = parse_feed(QUIRKY_RSS.encode(), "https://agency.example/rss").entries
    assert entry.title == 'Nebius Embarks on "Asset-Light" Data Center Model'
    assert entry.summary == "R&D that\u2019s new bold\nSecondline \u00a9 2025 end"


def test_atom_and_json_feed_text_escaped_twice() -> None:
    atom = """<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
    <entry><id>a1</id><link href="https://a.example/1"/>
    <title type="html">Q&amp;amp;A: &amp;lt;em&amp;gt;Open&amp;lt;/em&amp;gt; weights</title>
    <summary type="html">x &amp;amp;amp; y</summary></entry></feed>"""
    [entry] = parse_feed(atom.encode(), "https://a.example/feed").entries
    assert (entry.title, entry.summary) == ("Q&A: Open weights", "x & y")
    data = """{"version": "https://jsonfeed.org/version/1.1", "title": "J",
      "items": [{"id": "1", "url": "https://j.example/1", "title": "It&amp;#8217;s \\u200bout",
                 "content_html": "<p>R&amp;amp;D &amp;lt;br&amp;gt; next</p>"}]}"""
    [entry] = parse_feed(data.encode(), "https://j.example/feed.json").entries
    assert (entry.title, entry.summary) == ("It\u2019s out", "R&D\nnext")


def test_invisible_characters_go_and_letters_are_composed() -> None:
    nfd = unicodedata.normalize("NFD", "인공지능 기본법")
    assert readable(f"\ufeff{nfd}\u200b \u200b시행") == "인공지능 기본법 시행"
    assert readable("\u200b\u200b\u200b\nKT\u00ad는\n\u2060") == "KT는"
    # what rendering needs stays: joiners in emoji and scripts, bidi marks, variation selectors
    kept = "👩\u200d💻 \u05e9\u05dc\u05d5\u05dd\u200f ❤\ufe0f \u0915\u094d\u200d\u0937"
    assert readable(kept) == kept


@pytest.mark.parametrize(
    "text",
    [
        "영화 <기생충> 4관왕, AT&T·Q&A·S&P 500 &copy2025 I <3 it",
        "a < b and c > d; &unknown; stays; 5 &lt 6",
        "Line one\nLine two with\u00a0NBSP and　ideographic space",
        "std::vector<int> and the <blink> element",
    ],
)
def test_text_without_quirks_is_left_as_it_was(text: str) -> None:
    assert readable(text) == text


def test_what_pages_and_descriptions_give_is_made_readable_too() -> None:
    """JSON-LD bodies and headlines, app state and meta descriptions go through html_to_text."""
    assert html_to_text("<p>R&amp;amp;D\u200b</p><p>\ufeff다음</p>") == "R&D\n다음"


def test_entry_keys_come_from_the_text_as_first_rendered() -> None:
    """Stored keys and fingerprints do not move: pinned to what this entry was keyed by before
    its text was made readable (a new key would make it a new entry, alerted again)."""
    [entry] = parse_feed(QUIRKY_RSS.encode(), "https://agency.example/rss").entries
    assert entry.link is None and entry.guid is None and entry.as_read is not None
    key = entry_identity(entry.link, "agency", entry.guid, "\n".join(entry.key_text()))
    assert key == "urn:newsmon:entry:731c9a8952abee234f2f"
    fingerprint = "a6a34410095e5e820676ebe17af98fe27aa3ea7a1a002a1524d3f950b5bb3b30"
    assert entry_fingerprint(*entry.key_text()) == fingerprint
    plain = QUIRKY_RSS.split("<item>")[0] + (
        "<item><title>Nebius &amp; the &lt;Asset-Light&gt; model</title><description>"
        "<![CDATA[<p>R&amp;D that’s <b>new</b></p>]]></description></item></channel></rss>"
    )
    [clean] = parse_feed(plain.encode(), "https://agency.example/rss").entries
    assert clean.as_read is None and clean.key_text() == (clean.title, clean.summary)


def test_a_no_break_space_escaped_twice_without_its_semicolon_is_rendered() -> None:
    """CMSs write "&nbsp" without ";" (HTML reads it so); escaped again it reached the alert as
    "오픈&nbsp소스", splitting the term 오픈소스. Other names stay as written without ";"."""
    rss = QUIRKY_RSS.replace(
        "<item><title>&#xFEFF;Nebius Embarks on &amp;quot;Asset-Light&amp;quot; Data Center Model",
        "<item><title><![CDATA[오픈&amp;nbsp소스 모델 공개]]>",
    )
    [entry] = parse_feed(rss.encode(), "https://agency.example/rss").entries
    assert entry.title == "오픈 소스 모델 공개"
    assert readable("오픈&nbsp소스") == "오픈 소스"
    assert readable("5 &lt 6 &copy2025 AT&T") == "5 &lt 6 &copy2025 AT&T"


def test_korean_credits_leave_a_summary_and_english_openings_stay() -> None:
    """An agency's dateline and closing credits are chrome (`newsmon.credits`); a bracket
    with "=" opening an English summary is the story's ("(N=1,200)", "[Update=Dec 1]")."""
    english = (
        "(N=1,200) Adults who used AI chatbots daily reported more trust.",
        "[Update=Dec 1] OpenAI released the weights.",
        "(p=0.03) The effect held.",
    )
    items = [
        "(서울=연합뉴스) 홍길동 기자 = 정부는 1일 인공지능 기본법 시행령을 공개했다."
        "<br/>ⓒ 연합뉴스, 무단 전재-재배포 금지",
        *english,
    ]
    feed = "".join(
        f"<item><title>t{i}</title><description><![CDATA[{text}]]></description></item>"
        for i, text in enumerate(items)
    )
    data = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>{feed}</channel></rss>'
    )
    entries = parse_feed(data.encode(), "https://a.example/rss").entries
    summaries = {e.title: e.summary for e in entries}
    assert summaries["t0"] == "정부는 1일 인공지능 기본법 시행령을 공개했다."
    assert [summaries[f"t{i}"] for i in (1, 2, 3)] == list(english)


def test_an_entry_encoded_twice_is_repaired_and_keyed_by_its_text_as_read() -> None:
    """Before: keys and fingerprints were computed from the repaired text, so every entry a
    corpus stored before repair looked edited (its page read again) or, without a link, new
    (announced again). The entry reads repaired; its keys keep the text as read."""
    import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)

    title, summary = "오픈소스 모델 공개", "가중치를 공개했다."
    twice = [t.encode("utf-8").decode("sloppy-windows-1252") for t in (title, summary)]
    xml = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{twice[0]}</title><description>{twice[1]}</description></item>"
        "</channel></rss>"
    )
    entry = parse_feed(xml.encode(), "https://example.com/feed.xml").entries[0]
    assert (entry.title, entry.summary) == (title, summary)
    assert entry.key_text() == tuple(twice)
    assert entry_fingerprint(*entry.key_text()) == entry_fingerprint(*twice)


@pytest.mark.parametrize("as_json", [False, True])
def test_an_entry_encoded_twice_keeps_the_key_the_deployed_release_gave_it(as_json: bool) -> None:
    """The release deployed on 2026-12-01 keyed entries by their repaired text: a link-less
    entry it stored is found by that key too (`entry_keys`); a clean entry has no other."""
    import json

    import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)

    from newsmon.pipeline.entry_keys import identify, wanted

    title, summary = "오픈소스 모델 공개", "가중치를 <b>공개</b>했다."
    twice = [t.encode("utf-8").decode("sloppy-windows-1252") for t in (title, summary)]
    items = [(twice[0], twice[1]), ("clean 제목", "clean 요약")]
    if as_json:
        doc = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "t",
            "items": [{"id": "", "title": t, "content_html": s} for t, s in items],
        }
        data = json.dumps(doc).encode()
    else:
        rows = "".join(
            f"<item><title>{t}</title><description><![CDATA[{s}]]></description></item>"
            for t, s in items
        )
        head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t'
        data = f"{head}</title>{rows}</channel></rss>".encode()
    twice_entry, clean_entry = parse_feed(data, "https://example.com/feed.xml").entries
    repaired = (title, "가중치를 공개했다.")
    assert twice_entry.repaired_key_text == repaired
    assert clean_entry.repaired_key_text is None
    identified = identify([twice_entry, clean_entry], "notices")
    deployed = entry_identity(None, "notices", None, "\n".join(repaired))
    assert list(identified.keyed.values()) == [deployed]
    assert deployed in wanted(identified)


@pytest.mark.parametrize("as_json", [False, True])
def test_a_linked_entry_encoded_twice_is_fingerprinted_as_the_deployed_release_stored_it(
    as_json: bool,
) -> None:
    """The release deployed on 2026-12-01 fingerprinted entries by their repaired text: a
    linked entry it stored is the same entry now (not an edit), another summary is an edit."""
    import json

    import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)

    from newsmon.pipeline.entry_keys import fingerprinted_as

    def read(summary: str) -> FeedEntry:
        title = "오픈소스 모델 공개".encode().decode("sloppy-windows-1252")
        text = summary.encode().decode("sloppy-windows-1252")
        link = "https://example.com/a/1"
        if as_json:
            item = {"id": link, "url": link, "title": title, "content_html": text}
            doc = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [item]}
            data = json.dumps(doc).encode()
        else:
            data = (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t'
                f"</title><item><title>{title}</title><link>{link}</link>"
                f"<description><![CDATA[{text}]]></description></item></channel></rss>"
            ).encode()
        [entry] = parse_feed(data, "https://example.com/feed.xml").entries
        return entry

    entry = read("가중치를 <b>공개</b>했다.")
    assert entry.repaired_key_text == ("오픈소스 모델 공개", "가중치를 공개했다.")
    deployed = entry_fingerprint("오픈소스 모델 공개", "가중치를 공개했다.")
    stored_now = entry_fingerprint(*entry.key_text())
    assert fingerprinted_as(deployed, entry) and fingerprinted_as(stored_now, entry)
    edited = read("가중치와 데이터를 <b>공개</b>했다.")
    assert not fingerprinted_as(deployed, edited) and not fingerprinted_as(stored_now, edited)
    assert not fingerprinted_as(None, entry)
