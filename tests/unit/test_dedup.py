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
