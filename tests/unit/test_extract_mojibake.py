"""A page its publisher encoded twice (UTF-8 read as windows-1252 or latin-1, written again as
UTF-8: "ì˜¤í”ˆì†ŒìŠ¤") is stored as written, title and body; clean text is left alone."""

from __future__ import annotations

import time

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252, to write mojibake)
import lxml.html
import pytest

from newsmon import charset
from newsmon.extract import extract_article
from tests.unit.test_extract_korean_credits import STORY, URL, _page, _paragraphs


def _twice(text: str) -> str:
    """`text` as a publisher that encoded it twice shows it ("ì˜¤í”ˆì†ŒìŠ¤")."""
    return text.encode("utf-8").decode("sloppy-windows-1252")


@pytest.mark.parametrize("codec", ["sloppy-windows-1252", "latin-1"])
def test_a_body_encoded_twice_is_read_as_written(codec: str) -> None:
    twice = "".join(f"<p>{s.encode('utf-8').decode(codec)}</p>" for s in STORY)
    title = "도서관에 AI 상담".encode().decode(codec)
    got = extract_article(_page(twice, title=title), url=URL)
    assert got.title == "도서관에 AI 상담"
    for sentence in STORY:
        assert sentence in got.text
    assert got.language == "ko"


def test_clean_text_that_looks_foreign_is_left_as_it_is() -> None:
    story = (
        "Le café « Señor Müller » a rouvert lundi : 美·中 首腦會談 n'y change rien, dit-il — ＡＩ"
        " ou pas, les clients reviennent pour le gâteau.",
        "Its owner said the “open-source” menu software cost €120 and ran on a ¥9,800 tablet,"
        " and that he would keep it for the summer season.",
    )
    got = extract_article(_page(_paragraphs(story), title="Café"), url=URL)
    for sentence in story:
        assert sentence in got.text


def test_the_repair_reads_a_bounded_amount_of_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """ftfy's time grows with the text it is given: a page's share of it is capped."""
    monkeypatch.setattr(charset, "MAX_REPAIR_CHARS", 2 * len(_twice(STORY[0])) + 10)
    root = lxml.html.fromstring(_paragraphs(tuple(_twice(STORY[0]) for _ in range(5))))
    assert charset.repair_tree_mojibake(root) == 2
    assert [p.text == STORY[0] for p in root.iter("p")] == [True, True, False, False, False]


def test_crafted_mojibake_costs_the_repair_a_bounded_time() -> None:
    """The cap is of time: "ì˜ 한" (a lead pair ftfy tries to decode each time, and cannot)
    costs ftfy ~4 µs a character, eight times ordinary mojibake; a page of the default 5 MB
    held a million such characters, 4-8 s of its 10 s budget, and the page was lost."""
    root = lxml.html.fromstring(f"<div><p>{_twice(STORY[0])}</p></div>")
    body = root.find("p")
    assert body is not None
    for _ in range(20_000):  # 1.2 million characters, a 2.4 MB page's worth
        lxml.html.etree.SubElement(root, "p").text = "ì˜ 한" * 15
    started = time.process_time()  # CPU: other processes on a loaded machine do not count
    charset.repair_tree_mojibake(root)
    assert time.process_time() - started < 2.5  # ~0.6 s; ~4 s before the cap
    assert body.text == STORY[0]  # the page's first text is still repaired
