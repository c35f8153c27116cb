import pytest

from newsmon.dedup import canonical_url, clean_url, content_hash, normalise_text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM/News/A.html", "https://example.com/News/A.html"),
        (
            "https://example.com/a?utm_source=rss&utm_medium=feed&id=7#comments",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?fbclid=xyz&gclid=1&b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("http://example.com:80/a", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/%ED%95%9C%EA%B8%80", "https://example.com/%ED%95%9C%EA%B8%80"),
        ("https://example.com/한글", "https://example.com/%ED%95%9C%EA%B8%80"),
        ("https://example.com/a?Utm_Campaign=x", "https://example.com/a"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "variant",
    [
        "http://news.example.com/2025/02/deepseek-week",
        "https://www.news.example.com/2025/02/deepseek-week",
        "https://news.example.com/2025/02/deepseek-week/",
        "https://news.example.com/2025/02/deepseek-week/amp",
        "https://news.example.com/2025/02/deepseek-week/amp/",
        "https://news.example.com/2025/02/deepseek-week/amp.html",
        "https://news.example.com/amp/2025/02/deepseek-week",
        "https://news.example.com/2025/02/deepseek-week?amp=1",
        "https://news.example.com/2025/02/deepseek-week?amp",
        "https://news.example.com/2025/02/deepseek-week?outputType=amp",
        "https://amp.news.example.com/2025/02/deepseek-week",
        "https://news.example.com/2025/02/deepseek-week.amp",
        "http://www.news.example.com/2025/02/deepseek-week/?utm_source=x&amp=true#top",
    ],
)
def test_www_scheme_slash_and_amp_variants_share_identity(variant: str) -> None:
    assert canonical_url(variant) == "https://news.example.com/2025/02/deepseek-week"


def test_amp_html_suffix_keeps_the_html_page() -> None:
    assert canonical_url("https://x.example/a/story.amp.html") == "https://x.example/a/story.html"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/amp", "https://example.com/"),  # a page called /amp
        ("https://example.com/news/1", "https://example.com/news/2"),
        ("https://m.example.com/news/1", "https://example.com/news/1"),  # another host
        ("https://blog.example.com/a", "https://example.com/a"),
        ("https://example.com/view?id=1&amp=1", "https://example.com/view?id=2"),
        ("https://example.com/view?amp=2", "https://example.com/view"),  # not an AMP flag
        ("https://example.com/champ", "https://example.com/ch"),
        ("https://example.com/amplifier", "https://example.com/"),
        ("https://www.com/a", "https://com/a"),  # www. is the whole name: kept
        ("https://example.com:8443/a", "https://example.com/a"),
    ],
)
def test_different_pages_stay_apart(a: str, b: str) -> None:
    assert canonical_url(a) != canonical_url(b)


def test_clean_url_keeps_the_address_the_publisher_served() -> None:
    url = "http://www.example.com/news/1/amp/?utm_source=rss&id=2#c"
    assert clean_url(url) == "http://www.example.com/news/1/amp/?id=2"


def test_canonical_url_keeps_meaningful_parameters_and_path_case() -> None:
    a = canonical_url("https://news.example.kr/view.php?idx=100&page=1")
    b = canonical_url("https://news.example.kr/view.php?idx=101&page=1")
    assert a != b
    assert canonical_url("https://x.org/Story") != canonical_url("https://x.org/story")


def test_tracking_variants_share_identity() -> None:
    base = "https://example.com/en/deepseek.html"
    variants = [
        base + "?utm_source=rss&utm_medium=feed",
        base + "#top",
        base.replace("https://example.com", "HTTPS://EXAMPLE.com") + "?fbclid=abc",
    ]
    assert {canonical_url(v) for v in variants} == {canonical_url(base)}


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
