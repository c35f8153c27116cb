"""The zone of dates a feed writes without one, when its configuration names none: the feed's
declared language, else its content (Korean titles, a `.kr` host), says whether its clock is
Seoul's. Before, a Korean feed configured without `language` had every such date read as UTC:
a story out at 09:00 KST was stored as 18:00 KST, nine hours ahead."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from newsmon.feeds import parse_feed
from newsmon.feedzone import page_zone

SEOUL_AT = datetime(2025, 2, 20, 5, 30, tzinfo=UTC)  # 14:30 in Seoul
UTC_AT = datetime(2025, 2, 20, 14, 30, tzinfo=UTC)
KOREAN = "인공지능 안전 연구소가 새 보고서를 냈다"
ENGLISH = "AI safety institute publishes its new report"


def _rss(written: str, *, language: str | None = None, title: str = ENGLISH) -> bytes:
    declared = f"<language>{language}</language>" if language else ""
    items = "".join(
        f"<item><title>{title} {n}</title><link>http://a.example/{n}</link>"
        f"<pubDate>{written}</pubDate></item>"
        for n in range(3)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>desk</title>'
        f"{declared}{items}</channel></rss>"
    ).encode()


def _dates(data: bytes, url: str = "http://news.example.com/rss", **kw: object) -> set[object]:
    return {entry.published for entry in parse_feed(data, url, **kw).entries}  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["ko-KR", "ko", "KO-kr", "en-KR"])
@pytest.mark.parametrize("written", ["2025-02-20 14:30:00", "2025.02.20 14:30", "2025/02/20 14:30"])
def test_a_feed_declaring_korean_reads_its_bare_dates_in_seoul(language: str, written: str) -> None:
    """`<language>ko-KR</language>` and no `language` in the configuration: Seoul's clock."""
    assert _dates(_rss(written, language=language)) == {SEOUL_AT}


@pytest.mark.parametrize(
    "url", ["http://www.example.co.kr/rss", "https://news.example.kr/feed", "http://a.example/f"]
)
def test_korean_titles_read_bare_dates_in_seoul(url: str) -> None:
    """No language element anywhere, but the titles are Korean (on a `.kr` host or not)."""
    assert _dates(_rss("2025-02-20 14:30:00", title=KOREAN), url) == {SEOUL_AT}


def test_a_kr_host_reads_bare_dates_in_seoul() -> None:
    """No declaration, titles in English, served from Korea's domain: a Korean desk's clock."""
    assert _dates(_rss("2025-02-20 14:30:00"), "https://en.example.co.kr/rss") == {SEOUL_AT}


@pytest.mark.parametrize(
    "url",
    [
        "https://en.example.co.ｋｒ/rss",  # full width: browsers and IDNA read `.kr`
        "https://EN.EXAMPLE.CO.KR./rss",
        "https://뉴스.한국/rss",  # Korea's Hangul domain
        "https://xn--vg1b002a.xn--3e0b707e/rss",  # the same, in punycode
    ],
)
def test_a_kr_host_under_any_spelling_reads_bare_dates_in_seoul(url: str) -> None:
    """A Korean desk's host written in full width or under `.한국` (`xn--3e0b707e`) was not
    `.kr` to the check: its bare dates were read as UTC, nine hours late."""
    assert _dates(_rss("2025-02-20 14:30:00"), url) == {SEOUL_AT}


@pytest.mark.parametrize(
    ("language", "url"),
    [
        ("en-us", "http://news.example.com/rss"),
        (None, "http://news.example.com/rss"),
        ("en", "http://en.example.co.kr/rss"),  # the feed's declaration beats its host
    ],
)
def test_an_english_feed_stays_utc(language: str | None, url: str) -> None:
    parsed = parse_feed(_rss("2025-02-20 14:30:00", language=language), url)
    assert {e.published for e in parsed.entries} == {UTC_AT}
    assert parsed.date_zone is None


@pytest.mark.parametrize(
    "written", ["2025-02-20T14:30:00+00:00", "Thu, 20 Feb 2025 14:30:00 GMT", "2025-02-20T14:30Z"]
)
def test_a_date_that_writes_its_zone_keeps_it_in_a_korean_feed(written: str) -> None:
    data = _rss(written, language="ko-KR", title=KOREAN)
    assert _dates(data, "http://www.example.co.kr/rss") == {UTC_AT}


def test_the_configuration_beats_the_feed() -> None:
    """A configured `timezone` (or `language: ko`, passed as Seoul's zone) is the zone; a
    configured `language: en` says the feed is not guessed at (`guess_zone=False`)."""
    data = _rss("2025-02-20 14:30:00", language="ko-KR", title=KOREAN)
    london = datetime(2025, 2, 20, 14, 30, tzinfo=UTC)  # GMT in February
    assert _dates(data, zone="Europe/London") == {london}
    assert _dates(data, guess_zone=False) == {UTC_AT}


def test_atom_xml_lang_and_json_feed_language_are_declarations() -> None:
    atom = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        b'xml:lang="ko"><title>desk</title><id>urn:d</id><updated>2025-02-20T14:30:00</updated>'
        b"<entry><title>Report</title><id>urn:1</id><link href='http://a.example/1'/>"
        b"<updated>2025-02-20T14:30:00</updated></entry></feed>"
    )
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "desk", "language": "ko-KR",'
        b' "items": [{"id": "1", "url": "http://a.example/1", "title": "Report",'
        b' "date_published": "2025-02-20T14:30:00"}]}'
    )
    for data in (atom, json_feed):
        parsed = parse_feed(data, "http://a.example/feed")
        assert [e.published for e in parsed.entries] == [SEOUL_AT]
        assert parsed.date_zone == "Asia/Seoul"  # the pipeline reads the feed's pages so too


@pytest.mark.parametrize(
    ("head", "url", "title", "zone"),
    [
        (b'<!DOCTYPE html>\n<html lang="ko">', "http://a.example/p", "", "Asia/Seoul"),
        (b"<html xml:lang='ko-KR' xmlns='x'>", "http://a.example/p", "", "Asia/Seoul"),
        (
            b'<html><head><meta property="og:locale" content="ko_KR">',
            "http://a.example/p",
            "",
            "Asia/Seoul",
        ),
        (b"<html>", "https://www.news.co.kr/p", "", "Asia/Seoul"),
        (b"<html>", "http://a.example/p", KOREAN, "Asia/Seoul"),
        (b'<html lang="en">', "https://www.news.co.kr/p", KOREAN, None),  # declared beats content
        (b'<html data-lang="ko">', "http://a.example/p", "", None),
        (b"<html>", "http://a.example/p", ENGLISH, None),
    ],
)
def test_a_page_no_feed_speaks_for_tells_its_own_zone(
    head: bytes, url: str, title: str, zone: str | None
) -> None:
    """`backfill --urls`: a page's `<html lang>`, `og:locale`, host or title, in that order."""
    assert page_zone(head + b"<body>text</body></html>", url, title) == zone


@pytest.mark.parametrize(
    ("language", "zone"),
    [
        ("ja", "Asia/Tokyo"),
        ("ja-JP", "Asia/Tokyo"),
        ("zh-TW", "Asia/Taipei"),
        ("zh-Hant-TW", "Asia/Taipei"),
        ("zh-CN", "Asia/Shanghai"),
        ("zh", None),  # Chinese alone names no one clock: UTC
        ("en-JP", "Asia/Tokyo"),
    ],
)
def test_a_language_or_region_of_one_zone_reads_bare_dates_in_it(
    language: str, zone: str | None
) -> None:
    """`<language>ja</language>`: a Tokyo desk's "2025-02-20 14:30:00" was read as UTC, nine
    hours ahead, as a Korean desk's was; Taiwan's eight. A declared language or region that has
    one national clock is read in it."""
    parsed = parse_feed(_rss("2025-02-20 14:30:00", language=language), "http://a.example/f")
    written = datetime(2025, 2, 20, 14, 30, tzinfo=ZoneInfo(zone or "UTC"))
    assert {e.published for e in parsed.entries} == {written.astimezone(UTC)}
    assert parsed.date_zone == zone


@pytest.mark.parametrize("language", ["kor", "KOR", "kr", "kr-KR"])
def test_korean_declared_by_its_three_letter_code_or_country_reads_seoul(language: str) -> None:
    """Dublin Core's `dc:language` is often ISO 639-2 ("kor"), and Korean desks write the
    country for the language ("kr"): such a declaration was taken for another language, and it
    speaks before the host and titles, so a Korean feed on a `.kr` host with Korean titles had
    its bare dates read as UTC, nine hours ahead."""
    data = _rss("2025-02-20 14:30:00", language=language, title=KOREAN)
    assert _dates(data, "http://www.example.co.kr/rss") == {SEOUL_AT}
