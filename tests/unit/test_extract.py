import json
from datetime import UTC, datetime

import pytest

from newsmon.extract import MIN_BODY_CHARS, Extracted, decode_html, extract_article

PARA = "영국 정부가 AI안전연구소를 AI보안연구소로 개명했다. 국가 안보 위협에 집중한다는 취지다. 똠방각하 같은 표현도 있다. "
CHROME = "<nav><a href='/'>홈</a> <a href='/it'>IT</a> <a href='/biz'>경제</a></nav><div class='ticker'>코스피 2,650.12 ▲</div>"


def page(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>기사</title></head><body>{CHROME}<article><h1>제목</h1>{body}</article><footer>(c) 뉴스 저작권</footer></body></html>"


def test_euckr_page_from_bytes_with_meta_charset() -> None:
    html = page(
        "".join(f"<p>{PARA} {i}번째 문단.</p>" for i in range(4)), '<meta charset="euc-kr">'
    )
    result = extract_article(html.encode("cp949"), url="https://x.kr/a")
    assert result.source == "page"
    assert "AI보안연구소로 개명했다" in result.text and "똠방각하" in result.text
    assert "코스피" not in result.text
    assert result.language == "ko"


def test_euckr_page_with_charset_only_in_http_header() -> None:
    html = page("".join(f"<p>{PARA} {i}번째 문단.</p>" for i in range(4)))
    result = extract_article(html.encode("cp949"), url="https://x.kr/a", http_charset="euc-kr")
    assert "AI보안연구소로 개명했다" in result.text
    assert "\ufffd" not in result.text


def test_jsonld_fallback_when_page_has_no_visible_body() -> None:
    article = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage"},
            {
                "@type": "NewsArticle",
                "headline": "국가 AI 컴퓨팅 센터",
                "articleBody": "정부가 GPU 1만8000장을 확보한다. " * 12,
                "datePublished": "2025-02-17T10:00:00+09:00",
                "author": {"name": "김기자"},
            },
        ],
    }
    html = page(
        '<div id="app"></div>',
        f'<script type="application/ld+json">{json.dumps(article, ensure_ascii=False)}</script>',
    )
    result = extract_article(html.encode(), url="https://x.kr/b", feed_summary="요약")
    assert result.source == "json-ld"
    assert result.text.startswith("정부가 GPU 1만8000장을 확보한다.")
    assert result.author == "김기자"
    assert (
        result.published is not None and result.published.isoformat() == "2025-02-17T10:00:00+09:00"
    )
    assert result.note and "page" in result.note


def arc_page(state: object, *, extra_head: str = "") -> bytes:
    """A client-rendered (Arc XP) page: an empty app shell, the article only in the state its
    script renders, like Chosun Ilbo's pages."""
    script = (
        'window.Fusion=window.Fusion||{};Fusion.arcSite="news";'
        f"Fusion.globalContent={json.dumps(state, ensure_ascii=False)};"
        'Fusion.globalContentConfig={"source":"content-api"};'
    )
    head = f'<meta property="og:description" content="페이지 요약: 오픈소스 모델 공개">{extra_head}'
    return page(f'<div id="fusion-app"></div><script>{script}</script>', head).encode()


ARC_STATE = {
    "headlines": {"basic": "딥시크, 추론 모델 <b>가중치</b> 공개"},
    "display_date": "2025-02-24T09:30:00+09:00",
    "credits": {"by": [{"type": "author", "name": "박서준"}]},
    "content_elements": [
        {"type": "text", "content": "딥시크가 추론 모델의 가중치를 MIT 라이선스로 공개했다. " * 8},
        {"type": "image", "caption": "사진 설명: 규제 당국 회의", "url": "https://x.kr/i.jpg"},
        {
            "type": "text",
            "content": "개발자들은 <a href='/x'>허깅페이스</a>에서 내려받을 수 있다.<br/>학습 코드도 곧 공개된다. "
            * 6,
        },
        {"type": "raw_html", "content": "<div class='ad'>광고 문의</div>"},
    ],
}


def test_a_client_rendered_page_gives_the_article_in_its_app_state() -> None:
    result = extract_article(arc_page(ARC_STATE), url="https://x.kr/c", feed_summary="요약")
    assert result.source == "app-state"
    assert result.text.startswith("딥시크가 추론 모델의 가중치를 MIT 라이선스로 공개했다.")
    assert "허깅페이스에서 내려받을 수 있다." in result.text  # inline HTML made text, in order
    assert result.text.index("MIT") < result.text.index("허깅페이스")
    for left_out in ("사진 설명", "광고 문의", "<a", "<br"):  # captions, raw HTML, tags
        assert left_out not in result.text
    assert (result.title, result.author) == ("딥시크, 추론 모델 가중치 공개", "박서준")
    assert result.published is not None and result.published.isoformat().startswith("2025-02-24")
    assert result.note and "page" in result.note


def test_app_state_that_is_broken_or_hostile_falls_back_without_raising() -> None:
    deep = "[" * 100_000 + "]" * 100_000  # deeper than json's recursion allows
    cases = {
        "malformed": arc_page("x").replace(b'"x"', b"{not json"),
        "deep": arc_page("x").replace(b'"x"', deep.encode()),
        "no elements": arc_page({"headlines": {"basic": "제목"}, "content_elements": "text"}),
        "no text": arc_page({"content_elements": [{"type": "image"}, 5, None]}),
    }
    for name, data in cases.items():
        result = extract_article(data, feed_summary="피드 요약")
        assert (name, result.source, result.text) == (name, "feed-summary", "피드 요약")


def test_the_page_description_is_the_last_resort_before_nothing() -> None:
    shell = page('<div id="app"></div>', '<meta name="description" content="설명 &amp; 요약">')
    alone = extract_article(shell.encode(), feed_title="제목")
    assert (alone.source, alone.text, alone.note) == (
        "page-description",
        "설명 & 요약",
        "page text too short",  # the page's title and footer only
    )
    # the feed's own summary comes first
    assert extract_article(shell.encode(), feed_summary="피드 요약").source == "feed-summary"
    assert extract_article(page("<div></div>").encode()).source == "none"


def test_feed_summary_fallback_records_why() -> None:
    result = extract_article(
        b"<html><body><div class='spinner'></div></body></html>",
        feed_title="스타트업, 가중치 공개",
        feed_summary="가중치를 오픈소스로 공개했다.",
    )
    assert result.source == "feed-summary"
    assert result.text == "가중치를 오픈소스로 공개했다."
    assert result.note == "page had no article text"
    none = extract_article(None, reason="page fetch failed: HTTP 500")
    assert none.source == "none" and none.text == "" and "HTTP 500" in (none.note or "")


def test_short_text_is_not_an_article() -> None:
    result = extract_article(page("<p>짧다.</p>").encode(), feed_summary="피드 요약 " * 5)
    assert (result.source, result.note) == ("feed-summary", "page text too short")


def test_min_body_chars_is_where_page_text_becomes_an_article() -> None:
    """One character either side of the threshold: the page's text below it is a teaser."""
    letters = "가나다라마바사아자차" * 30

    def extract(chars: int) -> Extracted:
        html = page(f"<p>{letters[:chars]}</p>")  # the page's text: the <h1> "제목" and this
        return extract_article(html.encode(), feed_summary="피드 요약 " * 5)

    probe = extract(MIN_BODY_CHARS)
    chrome = len(probe.text) - MIN_BODY_CHARS  # what the page adds around the paragraph
    at = extract(MIN_BODY_CHARS - chrome)
    below = extract(MIN_BODY_CHARS - chrome - 1)
    assert (at.source, len(at.text)) == ("page", MIN_BODY_CHARS)
    assert (below.source, below.note) == ("feed-summary", "page text too short")


def test_decode_html_order() -> None:
    data = page(PARA, '<meta charset="euc-kr">').encode("cp949")
    assert "개명했다" in decode_html(data)
    assert "개명했다" in decode_html(page(PARA).encode("cp949"))  # no declaration: CP949 guess
    assert decode_html("é".encode("latin-1"), "iso-8859-1") == "é"


def test_app_state_wins_over_chrome_that_passes_for_an_article() -> None:
    """An app shell whose server-rendered chrome is long enough to look like an article."""
    rail = (
        "<ul>" + "".join(f"<li>정부, AI 규제 법안 {i}건 발의 예고</li>" for i in range(8)) + "</ul>"
    )
    data = arc_page(ARC_STATE).replace(b'<div id="fusion-app"></div>', rail.encode())
    result = extract_article(data, feed_summary="요약")
    assert result.source == "app-state"
    assert "규제" not in result.text
    assert result.note == "app state holds more text than the page shows"
    # a page that shows its article keeps it: the state is no longer much longer
    shown = "".join(f"<p>{PARA} {i}번째 문단.</p>" for i in range(8))
    full = arc_page(ARC_STATE).replace(b'<div id="fusion-app"></div>', shown.encode())
    assert extract_article(full).source == "page"


def test_a_page_that_frames_its_post_names_the_frame_to_read() -> None:
    """Naver Blog's outer page: the post is another page of the same site, in an iframe."""
    outer = page(
        '<iframe src="https://ads.example.net/b?slot=1" width="300"></iframe>'
        '<iframe src="javascript:void(0)"></iframe>'
        '<iframe src="/b/a"></iframe>'  # the page itself
        '<iframe id="mainFrame" src="/PostView.naver?blogId=x&amp;logNo=1"></iframe>'
    ).encode()
    framed = extract_article(outer, url="https://blog.example.kr/b/a", feed_summary="요약")
    assert framed.source == "feed-summary"
    assert framed.frame == "https://blog.example.kr/PostView.naver?blogId=x&logNo=1"
    assert framed.note and "page frames https://blog.example.kr/PostView.naver" in framed.note
    # a page with its article keeps it, whatever it frames
    full = page(
        "".join(f"<p>{PARA} {i}번째 문단.</p>" for i in range(4)) + '<iframe src="/v"></iframe>'
    )
    assert extract_article(full.encode(), url="https://blog.example.kr/b/a").frame is None
    # only frames of the page's own host
    other = page('<iframe src="https://other.example.kr/post"></iframe>').encode()
    assert extract_article(other, url="https://blog.example.kr/b/a").frame is None


STORY = "The agency said the open model's weights will be published under a permissive licence. "


@pytest.mark.parametrize(
    "head",
    [
        '<meta property="article:published_time" content="2025-03-03T23:30:00-05:00">',
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "h",'
        ' "datePublished": "2025-03-03T23:30:00-05:00"}</script>',
    ],
)
def test_a_page_dated_in_its_metadata_keeps_the_time_it_states(head: str) -> None:
    """trafilatura gives a page's date as a day only ("2025-03-03": midnight UTC, 28.5 h before
    this story came out). An entry without a date of its own took that: the alert's time was
    wrong, and a story 45 h old counted as 73.5 h and was skipped by `alerts.max_age_hours`."""
    html = page("".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(4)), head)
    result = extract_article(html.encode(), url="https://x.example/news/open-weights")
    assert result.source == "page"
    assert result.published == datetime(2025, 3, 4, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "head",
    [
        '<meta property="article:published_time" content="2025-03-04T13:30:00">',
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "h",'
        ' "datePublished": "2025-03-04 13:30:00"}</script>',
    ],
)
def test_a_page_time_stated_without_a_zone_is_in_the_feeds_timezone(head: str) -> None:
    """A Seoul desk's page states its wall clock without a zone; read as UTC, an undated
    entry's story showed nine hours late. The feed's `timezone` says which clock it is."""
    html = page("".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(4)), head).encode()
    url = "https://x.example/news/open-weights"
    seoul = extract_article(html, url=url, zone="Asia/Seoul")
    assert seoul.published == datetime(2025, 3, 4, 4, 30, tzinfo=UTC)
    assert extract_article(html, url=url).published == datetime(2025, 3, 4, 13, 30, tzinfo=UTC)


EPOCH = "1970-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "head",
    [
        f'<meta property="article:published_time" content="{EPOCH}">',
        '<meta property="article:published_time" content="1970-01-01T09:00:00+09:00">',
        f'<script type="application/ld+json">{{"@type": "NewsArticle", "datePublished": "{EPOCH}"}}'
        "</script>",
    ],
)
def test_a_page_stating_the_unix_epoch_is_undated(head: str) -> None:
    """A CMS with no date writes time 0 in the page's metadata, as feeds do. An entry the feed
    left undated took it: the new story was 56 years old to `alerts.max_age_hours` and its
    alert was skipped. It is no date, as in feeds."""
    html = page("".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(4)), head)
    result = extract_article(html.encode(), url="https://x.example/news/open-weights")
    assert result.source == "page"
    assert result.published is None


def test_an_epoch_placeholder_gives_way_to_the_pages_other_stated_date() -> None:
    head = (
        f'<meta property="article:published_time" content="{EPOCH}">'
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "datePublished": "2025-03-03T23:30:00-05:00"}</script>'
    )
    html = page("".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(4)), head)
    result = extract_article(html.encode(), url="https://x.example/news/open-weights")
    assert result.published == datetime(2025, 3, 4, 4, 30, tzinfo=UTC)


def test_an_article_in_json_ld_or_app_state_dated_at_the_epoch_is_undated() -> None:
    body = STORY * 6
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "h",'
        f' "articleBody": "{body}", "datePublished": "{EPOCH}"}}</script>'
    )
    in_json_ld = extract_article(page("", ld).encode(), url="https://x.example/a")
    assert (in_json_ld.source, in_json_ld.published) == ("json-ld", None)
    in_state = extract_article(arc_page({**ARC_STATE, "display_date": EPOCH}), url="https://x.kr/c")
    assert (in_state.source, in_state.published) == ("app-state", None)


@pytest.mark.parametrize(
    "shown",
    [
        "<footer>© 2025 Desk. All rights reserved.</footer>",
        "<footer>Copyright 2024 Desk Media</footer>",
        "<p class='archive'>More stories from March 2024</p>",
    ],
)
def test_a_year_or_month_the_page_shows_is_no_date(shown: str) -> None:
    """trafilatura's date for a page that states none may be a guess from its text: the year of
    its copyright line (1 January) or a month it names (the 1st). An entry its feed left
    undated took it: the new story was months old to `alerts.max_age_hours`, its alert
    skipped. Such a guess is no date; a day the page's markup states is still one."""
    html = page("".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(4)) + shown)
    result = extract_article(html.encode(), url="https://x.example/news/open-weights")
    assert result.source == "page"
    assert result.published is None


@pytest.mark.parametrize(
    ("shown", "url"),
    [
        ('<time datetime="2024-03-01">1 March</time>', "https://x.example/news/open-weights"),
        ("<p>Published: 2024-03-01 10:00</p>", "https://x.example/news/open-weights"),
        ("<footer>© 2025 Desk</footer>", "https://x.example/2024/03/01/open-weights"),
    ],
)
def test_a_first_of_the_month_the_page_marks_is_its_date(shown: str, url: str) -> None:
    html = page("".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(4)) + shown)
    result = extract_article(html.encode(), url=url)
    assert result.published == datetime(2024, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("meta", "zone"),
    [
        ("2025-03-04", None),  # a day alone: midnight UTC, 4.5 h early
        ("2025-03-04", "Asia/Seoul"),  # midnight in Seoul, 13.5 h early
        ("2025-03-04T13:30:00", None),  # a Seoul wall clock without a zone: read as UTC
        ("2025030413", None),  # YYYYMMDDHH, its zone unwritten
    ],
)
def test_a_stated_time_with_its_zone_wins_over_a_weaker_one(meta: str, zone: str | None) -> None:
    """`article:published_time` came first whatever it held: a day alone or a clock without a
    zone beat JSON-LD's full time and dated an entry its feed left undated hours off (the
    alert's time wrong, the story older or younger to `alerts.max_age_hours`). A time that
    writes its zone (or a Unix time) wins over one that does not; the first such wins."""
    head = (
        f'<meta property="article:published_time" content="{meta}">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "h",'
        ' "datePublished": "2025-03-04T13:30:00+09:00"}</script>'
    )
    html = page("".join(f"<p>{STORY} Paragraph {i}.</p>" for i in range(4)), head).encode()
    result = extract_article(html, url="https://x.example/news/open-weights", zone=zone)
    assert result.published == datetime(2025, 3, 4, 4, 30, tzinfo=UTC)
    # a Unix time is UTC by definition: as explicit as JSON-LD's, and first, it stands
    unix = html.replace(meta.encode(), b"1741062600", 1)
    assert extract_article(unix, url="https://x.example/n", zone=zone).published == datetime(
        2025, 3, 4, 4, 30, tzinfo=UTC
    )


def test_a_page_in_decomposed_hangul_is_read_composed() -> None:
    """Some CMSs and text typed on a Mac write Hangul decomposed (오 as ᄋ+ᅩ). Feed text was
    composed (NFC), page text was not: the alert's title came out in jamo that Slack search does
    not find under 오픈소스 and some fonts draw apart, and the page was not known as Korean."""
    import unicodedata

    title = unicodedata.normalize("NFD", "메타, 오픈소스 모델 공개")
    para = unicodedata.normalize(
        "NFD",
        "메타가 새 오픈소스 대형언어모델을 공개했다. 회사는 모델 가중치를 허깅페이스에 "
        "올렸으며 연구자와 기업이 내려받아 쓸 수 있다고 밝혔다. ",
    )
    page = (
        f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><article>'
        f"<h1>{title}</h1><p>{para * 3}</p><p>{para * 2}</p></article></body></html>"
    )
    got = extract_article(page.encode(), url="https://example.kr/news/1")
    assert got.source == "page"
    assert got.title == "메타, 오픈소스 모델 공개"  # composed: equal to the NFC literal
    assert unicodedata.is_normalized("NFC", got.text) and "오픈소스 대형언어모델" in got.text
    assert got.language == "ko"
