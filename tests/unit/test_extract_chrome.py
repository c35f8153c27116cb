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
