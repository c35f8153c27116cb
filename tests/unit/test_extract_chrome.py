"""Chrome that still leaked into article bodies after titled boxes, banners and comment threads
with controls were removed: untitled lists of other posts' teasers, comment threads without
controls, box titles typed with decomposed accents, and Korean news chrome. Pages written for
the project; each leak named open-source AI, the AI Act or a jailbreak and gave a local story
topics it does not have."""

from __future__ import annotations

import unicodedata

import pytest

from newsmon.extract import extract_article
from newsmon.rules import load_rules
from tests.conftest import SHIPPED_TOPICS

STORY = (
    "The harbour board said on Monday it will add a late sailing on Fridays from June, after"
    " islanders complained that the last boat left too early for evening shifts in town.",
    "The extra sailing will run until the end of September as a trial, and season tickets stay"
    " valid on the late boat without a surcharge, the board said.",
    "The board will count passengers on each sailing and decide in October whether to keep it,"
    " when the crossing is often cancelled for wind.",
)
LAST = "when the crossing is often cancelled for wind."
URL = "https://www.courier.example/2026/05/late-ferry"


def _page(after: str, lang: str = "en", story: tuple[str, ...] = STORY) -> bytes:
    body = "".join(f"<p>{s}</p>" for s in story)
    return (
        f"<html lang='{lang}'><head><meta charset='utf-8'><title>Ferry</title></head><body>"
        "<nav><a href='/'>Home</a></nav><main><article class='post'><h1>Ferry adds a late"
        f" sailing</h1><div class='entry'>{body}{after}</div></article></main>"
        "<footer>Courier</footer></body></html>"
    ).encode()


def _topics(title: str | None, text: str) -> list[str]:
    return [m.topic for m in load_rules(SHIPPED_TOPICS).classify(title, text)]


TEASERS = (
    (
        "deepseek-r1",
        "DeepSeek opens R1",
        "The lab published the open weights of its R1 model under an open-source licence, and"
        " developers began to fine-tune it within hours of the release, while others asked …",
    ),
    (
        "ai-act",
        "The AI Act takes effect",
        "The EU AI Act's first obligations apply from February, and providers of general-purpose"
        " models must publish a summary of their training data and keep records for the …",
    ),
    (
        "jailbreak",
        "Red teams jailbreak chatbots",
        "Researchers found a jailbreak that made every chatbot they tested ignore its safety"
        " rules, and the labs have patched some of the prompts but not the ones that …",
    ),
)


def _teaser_list(shape: str) -> str:
    if shape == "articles":  # WordPress: an archive loop of <article>s after the post
        return "".join(
            f"<article class='postbox'><a href='/2026/04/{slug}'><img src='/i/{slug}.jpg'"
            f" alt=''></a><p>{excerpt}</p></article>"
            for slug, _head, excerpt in TEASERS
        )
    if shape == "cards":  # cards with a headline link and an excerpt, "Read more" links
        return (
            "<div class='more'>"
            + "".join(
                f"<div class='card'><h4><a href='/2026/04/{slug}'>{head}</a></h4><p>{excerpt}"
                f" <a href='/2026/04/{slug}'>Read more</a></p></div>"
                for slug, head, excerpt in TEASERS
            )
            + "</div>"
        )
    return (
        "<ul class='archive'>"
        + "".join(  # a list of teasers ending in "[…]"
            f"<li><a href='/2026/04/{slug}'>{head}</a> {excerpt.rstrip(' …')} […]</li>"
            for slug, head, excerpt in TEASERS
        )
        + "</ul>"
    )


@pytest.mark.parametrize("shape", ["articles", "cards", "list"])
def test_a_list_of_other_posts_teasers_is_not_the_storys_text(shape: str) -> None:
    """A blog post followed, in its main column, by excerpts of other posts ending in "…"
    (an archive loop, "Read more" cards) with no title over them: the excerpts became the
    post's text (a Portuguese blog page of the shared corpus read at 0.20 precision), and
    here made a ferry story open-source's, policy's and AI safety's."""
    got = extract_article(_page(_teaser_list(shape)), url=URL)
    assert all(s in got.text for s in STORY), got.text
    assert "DeepSeek" not in got.text and "AI Act" not in got.text, got.text
    assert _topics(got.title, got.text) == []


def test_a_story_whose_paragraphs_end_in_an_ellipsis_stays() -> None:
    """A story's own paragraphs may trail off in "…" (quotes, a poem): without links to other
    pages they are no teasers."""
    story = tuple(s.rstrip(".") + " …" for s in STORY)
    got = extract_article(_page("", story=story), url=URL)
    assert all(s in got.text for s in story), got.text
    # one that links to an older story of the site is no list of teasers either
    linked = ("After <a href='/2026/01/ferry-fares'>fares rose</a>, " + story[0], *story[1:])
    got = extract_article(_page("", story=linked), url=URL)
    assert all(s in got.text for s in story), got.text


@pytest.mark.parametrize("title", ["Leia também", "Matérias relacionadas", "관련기사"])
def test_a_box_title_typed_with_decomposed_accents_is_known(title: str) -> None:
    """A CMS that stores text decomposed (NFD: "Leia tambe\u0301m", "Notícias" as i + U+0301)
    wrote box titles that no longer matched the known titles (Hangul as jamo too): the box of
    other stories stayed."""
    box = (
        f"<div class='rel'><h3>{title}</h3><ul>"
        + "".join(
            f"<li><a href='/n/{slug}'>{head}: {excerpt}</a></li>" for slug, head, excerpt in TEASERS
        )
        + "</ul></div>"
    )
    got = extract_article(_page(box), url=URL)
    assert "DeepSeek" not in got.text, got.text  # composed: removed (as before)
    nfd = unicodedata.normalize("NFD", _page(box).decode()).encode()
    got = extract_article(nfd, url=URL)
    assert all(s in got.text for s in STORY), got.text
    assert "DeepSeek" not in got.text and "AI Act" not in got.text, got.text


COMMENTS = (
    (
        "harbourfan",
        "They should publish the open weights of the booking model under an open-source"
        " licence, like DeepSeek did with R1.",
    ),
    (
        "late_shift",
        "Before the AI Act applies the board should say whether a chatbot answers the"
        " ferry hotline.",
    ),
    ("islander", "Someone already got the ferry chatbot to jailbreak itself and print its prompt."),
)
THREADS = {
    "en-clock": "<div class='c-list'>"
    + "".join(
        f"<div class='c-item'><div class='c-head'><a href='/member/{who}'>{who}</a>"
        f" <span class='c-date'>2026-05-0{i + 2} 14:3{i}</span></div><p>{said}</p></div>"
        for i, (who, said) in enumerate(COMMENTS)
    )
    + "</div>",
    "en-relative": "<ol class='thread'>"
    + "".join(
        f"<li><img src='/a/{who}.png' alt=''><b>{who}</b> <time>{i + 2} hours ago</time>"
        f"<div>{said}</div></li>"
        for i, (who, said) in enumerate(COMMENTS)
    )
    + "</ol>",
    "ko": "<ul class='cmt'>"
    + "".join(
        f"<li><span class='nick'>{who}</span><span class='dt'>{i + 3}시간 전</span>"
        f"<p>{said}</p></li>"
        for i, (who, said) in enumerate(
            (
                (
                    "바다사랑",
                    "예약 시스템 AI도 오픈소스로 공개하고 오픈 웨이트 모델을 써야 합니다.",
                ),
                ("섬주민", "AI 기본법 시행령 나오기 전에 챗봇 상담부터 정리하세요."),
                ("야간근무", "여객선 챗봇 탈옥해서 프롬프트 다 뽑아낸 사람도 있던데요."),
            )
        )
    )
    + "</ul>",
}


@pytest.mark.parametrize("thread", list(THREADS.values()), ids=list(THREADS))
def test_a_comment_thread_without_controls_is_not_the_storys_text(thread: str) -> None:
    """Readers' comments under a story, each signed with a name and a time but with no
    reply/like buttons (a board's plain list, a thread read without scripts): the comments
    became the story's text, and one mentioning open-source AI made it open-source's."""
    got = extract_article(_page(thread), url=URL)
    assert all(s in got.text for s in STORY), got.text
    for word in ("weights", "AI Act", "jailbreak", "오픈소스", "기본법", "탈옥"):
        assert word not in got.text, got.text
    assert _topics(got.title, got.text) == []


def test_a_timeline_of_dated_events_in_the_story_stays() -> None:
    """A story's dated list (a timeline: date first, then what happened) is no thread."""
    timeline = (
        "<ul>"
        + "".join(
            f"<li><b>2026-0{i + 1}-15</b> The board {what}, and islanders were told at a meeting"
            " in the village hall.</li>"
            for i, what in enumerate(("cut the last sailing", "heard complaints", "voted a trial"))
        )
        + "</ul>"
    )
    got = extract_article(_page(timeline), url=URL)
    assert "cut the last sailing" in got.text and "voted a trial" in got.text, got.text


@pytest.mark.parametrize(
    "title",
    [
        "Você pode gostar...",
        "Você também pode gostar",
        "También te puede gustar",
        "Vous aimerez aussi",
        "Potrebbe piacerti anche",
        "You may like",
        "You might also enjoy",
    ],
)
def test_a_you_may_like_box_of_whole_posts_is_removed(title: str) -> None:
    """A "you may like" box whose items are other posts in full (short ones, no "…"): only
    "You may also like" was known, and the Portuguese blog page of the shared corpus kept its
    "Você pode gostar..." box of whole posts after its teasers were gone."""
    box = f"<h3>{title}</h3>" + "".join(
        f"<article class='postbox'><a href='/2026/04/{slug}'><img src='/i/{slug}.jpg' alt=''>"
        f"</a><p>{excerpt.rstrip(' …')}.</p></article>"
        for slug, _head, excerpt in TEASERS
    )
    got = extract_article(_page(box), url=URL)
    assert all(s in got.text for s in STORY), got.text
    assert "DeepSeek" not in got.text and "AI Act" not in got.text, got.text


def _story_page(header: str, body: str) -> bytes:
    """A page whose article body is `body` (the story itself), after a header of `header`."""
    return (
        "<html lang='en'><head><meta charset='utf-8'><title>Live</title></head><body>"
        "<nav><a href='/'>Home</a></nav><main><article><header><h1>Ferry strike: live</h1>"
        f"{header}</header><div class='body'>{body}</div></article></main>"
        "<footer>Courier</footer></body></html>"
    ).encode()


ENTRIES = (
    "The harbour board says the first two sailings of the morning are cancelled and"
    " passengers holding tickets will be refunded at the terminal desk.",
    "Crews have gathered outside the terminal; their union says the strike will last until"
    " the board agrees to add a second crew on the late sailing.",
    "The board's chair has told reporters that talks with the union will resume at noon in"
    " the town hall, with a mediator from the ministry.",
)
ENTRIES_KO = (
    "여객선 노조가 오늘 새벽부터 파업에 들어가 오전 첫 배 두 편이 결항됐습니다.",
    "해운조합은 정오에 노조와 다시 만나 야간 운항 인력 문제를 논의하기로 했습니다.",
    "승객들은 터미널 창구에서 표를 환불받을 수 있다고 해운조합이 밝혔습니다.",
)
LIVE_BLOGS = {
    "name-then-time": "".join(
        f"<div class='entry'><p class='by'>Jane Doe</p><time>10:3{i}</time><p>{said}</p></div>"
        for i, said in enumerate(ENTRIES)
    ),
    "time-then-name": "".join(
        f"<div class='entry'><time>10:3{i}</time> <span>Jane Doe</span><p>{said}</p></div>"
        for i, said in enumerate(ENTRIES)
    ),
    "posted-by": "".join(
        f"<div class='entry'><p>Posted by <b>John Smith</b> at <time>14:0{i}</time></p>"
        f"<p>{said}</p></div>"
        for i, said in enumerate(ENTRIES)
    ),
    "ko": "".join(
        f"<div class='entry'><span>김철수 기자</span><span>오후 3:0{i}</span><p>{said}</p></div>"
        for i, said in enumerate(ENTRIES_KO)
    ),
    "transcript": "".join(
        f"<p><b>{who}</b> <span>(00:0{i}:1{i})</span>: {said}</p>"
        for i, (who, said) in enumerate(
            zip(("Interviewer", "Sam Altman", "Interviewer"), ENTRIES, strict=True)
        )
    ),
}


@pytest.mark.parametrize("body", list(LIVE_BLOGS.values()), ids=list(LIVE_BLOGS))
def test_a_live_blog_or_transcript_signed_by_entry_is_the_story(body: str) -> None:
    """A live blog (entries opening with the author's name and a time, or the time first) or
    a transcript (speaker, timestamp) is signed item by item like a comment thread, but it is
    the story: removing it as comments left the page without its text."""
    got = extract_article(_story_page("<p>Follow the strike as it happens.</p>", body), url=URL)
    for said in ENTRIES_KO if "김철수" in body else ENTRIES:
        assert said in (got.text or ""), got.text


def test_a_story_quoting_social_media_posts_keeps_them_and_its_text() -> None:
    """A story quoting readers' posts (name, handle, time, then the post) between its own
    paragraphs: the posts outnumbered the paragraphs, so the story's whole body went as a
    comment thread."""
    posts = [
        f"<div class='post'><b>{who}</b> <span>@{who.lower()}</span> <time>14:0{i}</time>"
        f"<p>{said}</p></div>"
        for i, (who, said) in enumerate(
            (
                ("Islander", "No boat this morning again, the whole village is stuck here."),
                ("NightShift", "The late sailing was the only way I could get to work on time."),
            )
        )
    ]
    body = f"<p>{STORY[0]}</p>{posts[0]}{posts[1]}<p>{STORY[1]}</p>"
    got = extract_article(_story_page("", body), url=URL)
    assert STORY[0] in (got.text or "") and STORY[1] in (got.text or ""), got.text
    assert "whole village is stuck" in (got.text or ""), got.text


def test_a_digest_page_of_teasers_is_the_story() -> None:
    """A newsletter's digest page is a list of short items, each linking to the site's story
    and ending in "…": it is the page's text, not teasers beside a story."""
    body = "<p>This week in the harbour:</p>" + "".join(
        f"<p><a href='/2026/05/{slug}'>{head}</a>: {excerpt}</p>"
        for slug, head, excerpt in (
            ("ferry-strike", "Ferry crews strike", ENTRIES[0][:-1] + " …"),
            ("late-sailing", "Late sailing stays", ENTRIES[1][:-1] + " …"),
            ("fares", "Fares frozen", ENTRIES[2][:-1] + " …"),
        )
    )
    got = extract_article(_story_page("", body), url=URL)
    for said in ENTRIES:
        assert said[:-1] in (got.text or ""), got.text


def test_a_comment_thread_under_a_live_blog_still_goes() -> None:
    """The live blog stays as the story; readers' signed comments under it are still
    comments (the blocks are judged one by one, not kept together)."""
    page = _story_page("", LIVE_BLOGS["name-then-time"] + THREADS["en-clock"])
    got = extract_article(page, url=URL)
    assert all(said in (got.text or "") for said in ENTRIES), got.text
    assert "weights" not in (got.text or "") and "AI Act" not in (got.text or ""), got.text
