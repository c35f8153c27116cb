"""Copies of one story differ by characters that are not the story: the ones Unicode calls
default-ignorable (zero-width space, soft hyphen, word joiner, byte order mark, joiners, bidi
marks, variation selectors, Hangul fillers), which feeds carry and page extraction drops. Dedup
must not see them; what it keys entries by must not move."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from newsmon.dedup import (
    body_similarity,
    content_hash,
    entry_fingerprint,
    entry_identity,
    headline_free_body,
    minhash_signature,
    normalise_text,
    short_body,
)
from tests.support.dedup_set import pieces
from tests.unit.test_migrations import load

# One of each kind (Unicode's Default_Ignorable_Code_Point), as real feeds carry them: AI타임스
# items open with runs of U+200B, titles with a U+FEFF; TechCrunch summaries hold U+2060.
IGNORABLE = {
    "soft hyphen": "\u00ad",
    "combining grapheme joiner": "\u034f",
    "arabic letter mark": "\u061c",
    "hangul choseong filler": "\u115f",
    "mongolian vowel separator": "\u180e",
    "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "right-to-left override": "\u202e",
    "word joiner": "\u2060",
    "invisible separator": "\u2063",
    "first strong isolate": "\u2068",
    "hangul filler": "\u3164",
    "variation selector 16": "\ufe0f",
    "byte order mark": "\ufeff",
    "halfwidth hangul filler": "\uffa0",
    "tag character": "\U000e0041",
}

TITLE = "과기정통부, 국가AI컴퓨팅센터 사업자 공모 시작"
SUMMARY = (
    "과학기술정보통신부는 24일 국가AI컴퓨팅센터 구축 사업자 공모를 시작한다고 밝혔다. "
    "첨단 GPU 1만 장 규모로, 민관 합작 특수목적법인이 2027년까지 운영을 맡는다. "
    'The ministry\'s "sovereign AI" plan pairs it with a 1 trillion won fund.'
)
BODY = "\n".join([TITLE, SUMMARY] * 3)


def sprinkled(text: str, mark: str) -> str:
    """`text` with `mark` after every space and inside every third word, as an editor or a CMS
    leaves them."""
    words = text.split(" ")
    out = [w[:2] + mark + w[2:] if i % 3 == 0 and len(w) > 3 else w for i, w in enumerate(words)]
    return (" " + mark).join(out)


@pytest.mark.parametrize("mark", IGNORABLE.values(), ids=IGNORABLE.keys())
def test_invisible_characters_do_not_make_another_story(mark: str) -> None:
    assert normalise_text(sprinkled(BODY, mark)) == normalise_text(BODY)
    assert content_hash(mark + sprinkled(BODY, mark)) == content_hash(BODY)
    assert minhash_signature(sprinkled(BODY, mark)) == minhash_signature(BODY)
    teaser = sprinkled(f"{TITLE}\n{SUMMARY}", mark)
    assert short_body(TITLE, teaser) == short_body(TITLE, f"{TITLE}\n{SUMMARY}")


def test_a_teaser_full_of_zero_width_spaces_is_the_same_short_story() -> None:
    """The worst case seen in real feeds: a zero-width space after every space. Its 5-grams were
    another text's (0.10 against the page's copy, under the 0.3 that joins)."""
    page_copy = normalise_text(SUMMARY)
    teaser = headline_free_body(TITLE, sprinkled(SUMMARY, "\u200b"))
    assert body_similarity(teaser, page_copy) == 1.0


def test_a_title_opening_with_a_byte_order_mark_is_still_the_headline() -> None:
    """AI타임스's feed titles open with U+FEFF (121 of its items) or runs of U+200B; the page's
    <h1>, as extracted, has none: the first line is still the headline, left out of the body."""
    for title in ("\ufeff" + TITLE, "\u200b" * 7 + TITLE, TITLE.replace("AI", "A\u00adI")):
        assert headline_free_body(title, f"{TITLE}\n{SUMMARY}") == normalise_text(SUMMARY)


def test_text_without_them_normalises_as_stored_articles_were() -> None:
    """No re-index: every text of the labelled set, and NFD Hangul, curly quotes, full-width
    forms and odd spaces (which were folded before), normalise exactly as the normalisation
    the stored signatures were made with (frozen in migration 0002)."""
    texts = [p.title + "\n" + "\n".join(p.paragraphs) for p in pieces()]
    texts.append(unicodedata.normalize("NFD", SUMMARY).replace(" ", "\u00a0\u3000"))
    texts.append("“Quoted” ‘text’ — ＡＩ！ 「인용」\r\n…")
    frozen = load("0002_near_duplicates")
    for text in texts:
        assert not any(ch in text for ch in IGNORABLE.values())
        assert normalise_text(text) == frozen._normalise_text(text)


def test_entry_identity_and_fingerprint_do_not_move() -> None:
    """An entry's key and fingerprint are stored: computed another way, a stored entry would look
    new (a repeated alert) or edited (its page read again). Pinned on a text with every quirk."""
    title = "\ufeff\u200b[AI 이슈트렌드] 인공\u00ad지능 &quot;기본법&quot;"
    summary = "\u200b\u200bKT(대표 박윤영)는 R&amp;D 협약을\u2060 체결했다."
    key = entry_identity(None, "aitimes", None, f"{title}\n{summary}")
    assert key == "urn:newsmon:entry:cd6b997c221d70ef6fac"
    fingerprint = "3263b71bfde5b460fd70570f78f53f8eae129a5ca099848163ae1c6ecd44d274"
    assert entry_fingerprint(title, summary) == fingerprint


def test_an_identical_copy_of_an_article_stored_before_the_folding_is_found_by_its_hash() -> None:
    """A body stored before invisible characters were folded keeps the hash it had; the same body
    (the same zero-width spaces) arriving later, at any distance, is still its copy."""
    import hashlib
    from datetime import UTC, datetime, timedelta

    from newsmon.clusters import find_cluster
    from newsmon.corpus.records import DuplicateReason
    from newsmon.dedup import hash_before_folding
    from tests.support.articles import new_article
    from tests.unit.test_clusters import Corpus

    teaser = "\u200b\u200b\u200b" + sprinkled(BODY, "\u200b")
    frozen = load("0002_near_duplicates")
    stored_hash = hashlib.sha256(frozen._normalise_text(teaser).encode()).hexdigest()
    corpus = Corpus()
    then = datetime(2026, 1, 5, tzinfo=UTC)
    head = corpus.add(None, stored_hash, teaser, title=TITLE, when=then)
    copy = new_article("https://other.example/2", teaser, signed=True, title=TITLE)
    assert copy.content_hash != stored_hash  # folded now
    found = find_cluster(corpus, copy, then + timedelta(days=40))
    assert found is not None and (found.head_id, found.reason) == (head, DuplicateReason.HASH)
    # a body without such characters had the hash it has: nothing more to look up
    assert hash_before_folding(BODY) is None and hash_before_folding(teaser) == stored_hash


def test_a_short_item_indexed_before_the_folding_leaves_the_index_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Band rows are deleted by the keys the stored text gives (retention, edits, a page read
    at last): a short item stored before invisible characters were folded was indexed under
    keys of its text with them, and those rows must go too, not stay behind for ever."""
    from datetime import timedelta

    from newsmon import dedup
    from newsmon.clock import utcnow
    from newsmon.corpus import Store
    from newsmon.pipeline import prune_index
    from tests.support.articles import new_article
    from tests.support.index_retention import band_rows, first_seen

    teaser = sprinkled(f"{TITLE}\n{SUMMARY}", "\u200b")
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        with monkeypatch.context() as before:  # stored by a version that did not fold them
            before.setattr(dedup, "normalise_text", dedup._key_text)
            before.setattr(dedup, "lead_keys", lambda title, text: [])  # nor index leads
            pruned = store.add_article(new_article("https://a.example/1", teaser, title=TITLE))
            edited = store.add_article(new_article("https://a.example/2", teaser, title="T2"))
        assert band_rows(store, pruned.id) > 0 and band_rows(store, edited.id) > 0
        now = utcnow()
        first_seen(store, [pruned.id], now - timedelta(days=40))
        assert prune_index(store, 30, now, 0).dropped == 1
        assert band_rows(store, pruned.id) == 0
        store.update_article(edited.id, new_article("https://a.example/2", "Rewritten.", title="T"))
        assert band_rows(store, edited.id) == 0  # too short now to be indexed at all
    finally:
        store.close()
