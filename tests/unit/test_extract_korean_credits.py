"""Korean news credits (photo captions, an agency's dateline, reporter e-mail lines, copyright
notices) are not stored as the story's text. Pages written for the project; outlets and reporters are made up."""

from __future__ import annotations

import time

import pytest

from newsmon.credits import strip_credits
from newsmon.extract import extract_article

STORY = (
    "과학기술정보통신부는 3일 국내 연구진이 공개한 오픈소스 언어모델이 지역 도서관의 민원 응대"
    " 시범사업에 쓰인다고 밝혔다.",
    "사업은 다음 달부터 석 달 동안 세 개 시립 도서관에서 진행되며, 이용자는 대출 연장과 좌석"
    " 예약을 대화로 처리할 수 있다.",
    "도서관 측은 연합뉴스와의 통화에서 개인정보는 저장하지 않는다고 설명했다. 이 모델의 저작권은"
    " 연구진이 속한 대학이 갖는다.",
    "연구진은 학습 데이터에서 '무단 전재 및 재배포 금지'가 붙은 기사는 뺐다고 덧붙였다.",
)
URL = "https://www.hanbit-ilbo.example/article/2026/05/library-ai"
CHROME = (
    "사진=연합뉴스",
    "사진 제공=",
    "홍길동 기자 =",
    "연합뉴스)",
    "hong@",
    "ⓒ",
    "저작권자 ©",
    "무단전재",
    "무단 전재-재배포",
)


def _page(inner: str, title: str = "도서관에 AI 상담") -> bytes:
    return (
        f"<html lang='ko'><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<main><article><h1>{title}</h1><div class='art'>{inner}</div></article></main>"
        "<footer>한빛일보</footer></body></html>"
    ).encode()


def _paragraphs(story: tuple[str, ...]) -> str:
    return "".join(f"<p>{s}</p>" for s in story)


LAYOUTS = {
    # an agency's copy: dateline opening the first paragraph, caption as a paragraph, credits
    "agency": (
        "<p>▲ 시범사업이 열리는 시립 도서관 열람실 [사진=연합뉴스]</p>"
        f"<p>(서울=연합뉴스) 홍길동 기자 = {STORY[0]}</p>{_paragraphs(STORY[1:])}"
        "<p>hong@yna.example</p><p>저작권자 © 연합뉴스 무단 전재-재배포, AI 학습 및 활용 금지</p>"
    ),
    # a photo in a layout table with its caption in a cell; a bracketed byline and e-mail
    "table": (
        "<table><tr><td><img src='/a.jpg' alt=''></td></tr><tr><td>시립 도서관 열람실."
        " [사진 제공=서울시]</td></tr></table>"
        f"{_paragraphs(STORY)}<p>[한국경제 홍길동 기자] hong@hankyung.example</p>"
        "<p>ⓒ 한국경제 무단전재 및 재배포 금지</p>"
    ),
    # a `<br>` body: caption, dateline, byline and copyright each a line of their own
    "br": (
        "<div id='articleBody'>[사진 제공=서울시]<br><br>(서울=뉴스1) 홍길동 기자 = "
        + "<br><br>".join(STORY)
        + "<br><br>홍길동 기자 hong@news1.example<br><br>"
        "&lt;저작권자 © 뉴스1코리아, 무단전재 및 재배포 금지&gt;</div>"
    ),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_korean_credits_are_not_the_storys_text(layout: str) -> None:
    got = extract_article(_page(LAYOUTS[layout]), url=URL, feed_title="도서관에 AI 상담")
    assert got.source == "page"
    leaked = [c for c in CHROME if c in got.text]
    assert not leaked, got.text
    for sentence in STORY:  # the story's own mentions of 연합뉴스, 저작권 and 무단 전재 stay
        assert sentence in got.text


def test_one_story_from_two_outlets_is_stored_as_one_text() -> None:
    """Dedup compares stored bodies: outlets' credits made one story two."""
    texts = {
        "\n".join(
            line
            for line in extract_article(_page(LAYOUTS[layout]), url=URL).text.split("\n")
            if line != "도서관에 AI 상담"  # the page's h1, where the layout keeps it
        )
        for layout in LAYOUTS
    }
    assert len(texts) == 1, texts


def test_lines_of_the_story_that_look_like_credits_stay() -> None:
    """A list of points written with ▲, a closing sentence naming a reporter or an agency's
    report, an opening sentence that quotes a dateline: the story's own, not chrome."""
    story = "\n".join(
        (
            "도서관에 AI 상담",
            "(서울=연합뉴스)의 보도에 따르면 시범사업은 세 곳에서 열린다.",
            "시가 밝힌 일정은 다음과 같다.",
            "▲ 6월 중앙도서관 ▲ 7월 서부도서관 ▲ 8월 동부도서관",
            "이 내용은 지난달 연합뉴스 홍길동 기자가 처음 보도했고, 시는 이를 사실이라고 확인했다.",
        )
    )
    assert strip_credits(story) == story


def test_a_storys_sentence_about_copyright_holders_stays() -> None:
    """A story on AI and copyright ends or opens with a sentence naming copyright holders
    (저작권자) and unauthorised use (무단): it was taken for a copyright notice and removed,
    a closing run of such paragraphs all of it. A notice carries its mark (ⓒ, ©, (c))."""
    story = "\n".join(
        (
            "저작권자 단체들은 생성형 AI 기업의 무단 학습에 공동 대응하겠다고 밝혔다.",
            "문화체육관광부는 AI 학습 데이터 이용 지침을 다음 달 내놓는다.",
            "지침에는 학습에 쓴 저작물의 목록을 공개하는 방안이 담긴다.",
            "한국신문협회는 AI 기업이 저작권자의 동의 없이 기사를 무단으로 학습에 썼다고 지적했다.",
            "협회는 저작권자 보호를 위해 무단 이용에 소송도 검토하겠다고 말했다.",
        )
    )
    assert strip_credits(story) == story
    for notice in (
        "<저작권자 © 뉴스1코리아, 무단전재 및 재배포 금지>",
        "<저작권자 한빛일보 무단전재>",
    ):
        assert strip_credits(f"{story}\n{notice}") == story


@pytest.mark.parametrize(
    "caption", ["[사진 제공=서울시] ", "(사진=연합뉴스) ", "[사진 출처: 서울시]"]
)
@pytest.mark.parametrize("tail", ["", " 나머지 문장도 이어진다." * 20])  # short and long lines
def test_a_caption_glued_to_the_storys_paragraph_goes_alone(caption: str, tail: str) -> None:
    """An image's credit the publisher glued to the paragraph after it (feed summaries do):
    the paragraph is the story's, not the caption's. The line went whole, or the credit stayed."""
    line = STORY[0] + tail
    assert strip_credits(f"{caption}{line}\n{STORY[1]}") == f"{line}\n{STORY[1]}"
    assert strip_credits(f"도서관에 AI 상담\n{caption}{line}") == f"도서관에 AI 상담\n{line}"


def test_a_hostile_line_costs_linear_time() -> None:
    """Addresses glued together ("a.b@c.da.b@c.d…") split many ways under the byline pattern:
    5 s for 169 characters before, ~2 minutes at the 200-character cap, so one such line of a
    page or a feed summary held its worker until the pass's timeout. The line is no byline."""
    hostile = "a.b@c.d" * 24 + "!"
    started = time.perf_counter()
    assert strip_credits(f"{STORY[0]}\n{hostile}") == f"{STORY[0]}\n{hostile}"
    assert time.perf_counter() - started < 0.5
