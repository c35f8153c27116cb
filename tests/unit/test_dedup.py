import re
import unicodedata

from newsmon.dedup import _key_text, content_hash, normalise_text


def test_content_hash_ignores_spacing_case_and_punctuation() -> None:
    body = "DeepSeek said it would publish code. " * 10
    assert content_hash(body) == content_hash("  " + body.upper().replace(".", " ,") + "\n\n")
    assert content_hash(body) != content_hash(body + " One more sentence.")


def test_content_hash_needs_enough_text() -> None:
    assert content_hash("short teaser") is None
    assert content_hash(None) is None


def test_normalise_text_folds_full_width() -> None:
    assert normalise_text("ＡＩ 오픈소스!") == "ai 오픈소스"


# --- signatures ---------------------------------------------------------------------------------

STORY = " ".join(
    f"Paragraph {i}: the ministry said chip export licences would be reviewed within {i + 3} days."
    for i in range(15)
)


def test_a_signature_names_its_scheme_and_yields_one_key_per_band() -> None:
    from newsmon.dedup import BANDS, MINHASH_SCHEME, NUM_PERM, minhash_signature

    sig = minhash_signature(STORY)
    assert sig is not None and sig.scheme == MINHASH_SCHEME and len(sig.values) == 4 * NUM_PERM
    keys = sig.band_keys()
    assert len(keys) == BANDS and all(-(2**63) <= k < 2**63 for k in keys)
    assert minhash_signature(STORY.upper() + "!!") == sig  # normalised first, like the hash
    assert minhash_signature("A teaser.") is None and minhash_signature(None) is None


def test_similarity_separates_a_truncated_copy_from_another_story() -> None:
    from newsmon.dedup import is_near_duplicate, jaccard_estimate, minhash_signature

    sig, copy = minhash_signature(STORY), minhash_signature(STORY[: int(len(STORY) * 0.6)])
    other = minhash_signature(
        "Lawmakers asked the ministry why licence reviews for chip exports took so long. The "
        "minister said staff shortages had slowed the office and promised a faster process, "
        "while two exporters told the committee they had lost orders waiting for decisions."
    )
    assert sig is not None and copy is not None and other is not None
    assert jaccard_estimate(sig.values, sig.values) == 1.0
    assert is_near_duplicate(jaccard_estimate(sig.values, copy.values))
    assert not is_near_duplicate(jaccard_estimate(sig.values, other.values))
    assert jaccard_estimate(sig.values, b"") == 0.0


# --- short items ----------------------------------------------------------------------------------

SUMMARY = (
    "The ministry said on Monday that chip export licences would be reviewed within ten days, "
    "down from a month."
)


def test_a_short_body_leaves_out_the_headline_line_and_addresses() -> None:
    from newsmon.dedup import headline_free_body, short_body

    title = "Ministry speeds up chip export licences"
    body = normalise_text(SUMMARY)
    assert headline_free_body(title, f"{title}\n{SUMMARY}") == body
    # the page's headline with a site name after it, or a shortened title, is the headline too
    assert headline_free_body(title, f"{title} | Frontier Daily\n{SUMMARY}") == body
    assert headline_free_body(f"{title}: what it means", f"{title}\n{SUMMARY}") == body
    # a first line that is not the headline stays; so does a one-line text
    assert headline_free_body("Another headline", f"{title}\n{SUMMARY}").startswith("ministry")
    assert headline_free_body(title, SUMMARY) == body
    assert headline_free_body(None, f"{title}\n{SUMMARY}").startswith("ministry")
    assert headline_free_body(title, f"{SUMMARY} https://a.example/x?id=1 www.b.example") == body
    assert short_body(title, f"{title}\n{SUMMARY}") == body
    assert short_body(title, f"{title}\nRead more.") is None  # too thin to be a story
    assert short_body(title, f"{title}\n" + SUMMARY * 6) is None  # not summary-length
    assert short_body(title, None) is None and short_body(None, "") is None


def test_short_bodies_are_compared_exactly_and_indexed_apart_from_whole_texts() -> None:
    from newsmon.dedup import (
        body_similarity,
        is_short_duplicate,
        minhash_signature,
        short_body_keys,
    )

    title = "Ministry speeds up chip export licences"
    a = short_body_keys(title, f"{title}\n{SUMMARY}")
    retitled = short_body_keys("Licences in ten days", f"Licences in ten days\n{SUMMARY}")
    assert len(a) == 42 and a == retitled == short_body_keys("T", SUMMARY)  # and a teaser
    assert a != short_body_keys("Another", f"{title}\n{SUMMARY}")  # not its headline: kept
    whole = minhash_signature(SUMMARY * 3)
    assert whole is not None and not set(whole.band_keys()) & set(short_body_keys("", SUMMARY))
    assert short_body_keys("T", STORY) == []
    one = normalise_text(SUMMARY)
    other = normalise_text(
        "The ministry said on Monday that it would hire forty more licence officers this year."
    )
    assert body_similarity(one, one) == 1.0 and body_similarity(one, "") == 0.0
    assert is_short_duplicate(body_similarity(one, one.replace("ten days", "10 days")))
    assert not is_short_duplicate(body_similarity(one, other))


# --- a text that is only an editor's note -------------------------------------------------------

NOTE = "[※ 편집자 주 = 매주 화요일 생성형 인공지능(AI)과 함께 사는 법을 짚어 봅니다.]"
LEDE = (
    "서울의 한 고등학교는 이번 학기부터 AI가 만든 영상을 가려내는 수업을 정규 과목으로 열었고 "
    "학생 300명이 듣는다."
)


def test_only_a_bracketed_editors_note_with_nothing_after_it_is_note_only() -> None:
    """Such a text joins nothing by similarity: only what is surely the note may count, or its
    copies would be announced twice."""
    from newsmon.lookalikes import note_only

    assert note_only(None, NOTE[:45] + "...")  # the feed cut it inside the note
    assert note_only("편집자 노트", f"편집자 노트\n{NOTE} (끝)")  # the headline line aside
    assert note_only(None, "(Editor's note: this series asks who pays for the grid (part 2)...")
    assert not note_only(None, f"{NOTE} {LEDE}")  # the note closed, then the story
    assert not note_only(None, f"{LEDE} {NOTE}")  # a note that does not open the text
    assert not note_only(None, f"[편집자주] {LEDE}")  # no bracket says where such a note ends
    assert not note_only(None, f"(Editor's note: updated (twice)) {LEDE}")


def test_a_label_on_one_side_only_does_not_hide_the_headline_line() -> None:
    """'[속보] X' over a page whose first line is 'X' (or the reverse): the line is the
    headline; an article indexed before under the old rule keeps its old keys to be pruned."""
    from newsmon.dedup import headline_free_body, keys_before_labels, lead_keys, short_body_keys

    body = "개인정보보호위원회는 17일 중국 딥시크 앱의 국내 신규 다운로드를 잠정 중단했다고 밝혔다."
    for title, line in [
        ("[속보] 개인정보위, 딥시크 다운로드 중단", "개인정보위, 딥시크 다운로드 중단"),
        ("딥시크 다운로드 중단(종합2보)", "[단독] 딥시크 다운로드 중단"),
        ("UPDATE 1-OpenAI opens o3-mini", "OpenAI opens o3-mini"),
        ("OpenAI opens o3-mini", "BREAKING: OpenAI opens o3-mini"),
        # full-width brackets (NFKC folds them only after the label is looked for)
        ("［속보］ 개인정보위, 딥시크 다운로드 중단", "개인정보위, 딥시크 다운로드 중단"),
        ("딥시크 다운로드 중단", "（종합2보）딥시크 다운로드 중단"),
        ("＜단독＞ 딥시크 다운로드 중단", "〖速報〗 딥시크 다운로드 중단"),
    ]:
        text = f"{line}\n{body}"
        assert headline_free_body(title, text) == headline_free_body(None, body)
        old = short_body_keys(None, text) + lead_keys(None, text)
        assert old and keys_before_labels(title, text) == old
    assert (
        keys_before_labels(
            "개인정보위, 딥시크 다운로드 중단", f"개인정보위, 딥시크 다운로드 중단\n{body}"
        )
        == []
    )
    # another first line is still no headline
    assert headline_free_body("[속보] X", f"Y\n{body}").startswith("y ")


def test_a_one_line_item_is_its_headline_without_labels_and_its_line() -> None:
    """`dedup.one_line`: what two feeds' copies of a one-line item share, and nothing for a
    headline too generic to tell a story or a body the short-item rule takes."""
    from newsmon.dedup import one_line, one_line_keys

    title, line = "OpenAI makes o3-mini free for all ChatGPT users", "Starting today."
    same = one_line(title, line)
    assert same is not None
    assert one_line(f"BREAKING: {title.upper()}", f"{title}\n{line}") == same
    assert one_line(title, "") == one_line(title, title) != same  # a line that repeats it
    assert one_line(title, "Read more") != one_line("Nvidia falls 17% on DeepSeek", "Read more")
    assert one_line("Breaking news", "Read more about this story on our site") is None
    assert one_line("[속보]", "연합뉴스") is None and one_line("오늘의 주요 소식", "") is None
    assert one_line(title, "x" * 60) is None  # the short-item rule's
    assert len(one_line_keys(title, line)) == 1 and not one_line_keys("속보", line)


def test_key_text_folds_punctuation_as_it_always_did() -> None:
    """`_key_text`'s table (`_Folding`) folds each character as the loop over categories did:
    stored keys and fingerprints must not move."""
    samples = ["오픈소스, AI 안전·정책 (법안) “공개” — ì˜ 한 ＡＩ! €5 ½ ①", "\u0301\u200d\ud800x"]
    samples.append("".join(chr(code) for code in range(0, 0x3000, 7)))
    for text in samples:
        folded = unicodedata.normalize("NFKC", text).casefold()
        loop = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in folded)
        assert _key_text(text) == re.sub(r"\s+", " ", loop).strip(), text
