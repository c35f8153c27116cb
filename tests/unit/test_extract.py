import json

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
