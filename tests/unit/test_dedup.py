from newsmon.dedup import content_hash, normalise_text


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
