"""What text from the network may hold once it is ours: no NUL, no lone surrogate, a length.

One place for these rules, used before a body is hashed (newsmon.workers) and wherever a value
enters the corpus (newsmon.corpus.schema's column types), so SQLite and PostgreSQL accept the
same rows: PostgreSQL refuses NUL in text and an over-long VARCHAR (`DataError`), and no
UTF-8 encoder accepts a lone surrogate (``\\ud800``), which JSON escapes can produce.
"""

from __future__ import annotations

import re

import regex

# Stored article text is cut here by default (`extract.max_text_chars`): a longer body is a
# dump, not an article, and every later stage (rules, MinHash, Slack snippets) scales with it.
MAX_TEXT_CHARS = 200_000
REPLACEMENT = "\ufffd"
# Characters that are there to be invisible (Unicode's Default_Ignorable_Code_Point): zero-width
# space and joiners, soft hyphen, word joiner, byte order mark, bidi marks and controls,
# variation selectors, Hangul fillers. CMS output and copied text put them inside words; what
# compares texts (dedup) or looks for words in them (the topic rules) reads past them.
INVISIBLE = regex.compile(r"\p{Default_Ignorable_Code_Point}+")


def clean_text(text: str) -> str:
    """`text` without NUL characters and with every surrogate code point replaced by U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # rare: replace character by character, so every other character keeps its offset
        text = "".join(REPLACEMENT if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`clean_text`, and without the other characters XML 1.0 forbids (C0 controls but tab,
    newline and carriage return; U+FFFE, U+FFFF): lxml refuses them in a tree, and they are
    never meant as text (a vertical tab or form feed becomes a space)."""
    return _NOT_XML.sub(lambda m: " " if m.group() in "\x0b\x0c" else "", clean_text(text))


def one_line(text: str, limit: int | None = None) -> str:
    """`text` as one line of printable text: what a terminal or a file would act on (NUL, C0
    and C1 controls, escape sequences' ESC, lone surrogates) and what would make it read other
    than it says (bidi embeddings, overrides and isolates, zero-width characters) dropped; line
    breaks of any kind and runs of spaces one space; cut to `limit` characters ("…" last)."""
    kept = "".join(ch for ch in clean_text(text) if ch.isprintable() or ch.isspace())
    line = " ".join(kept.split())
    if limit is not None and len(line) > limit:
        return line[: limit - 1] + "…"
    return line


def clean_optional(text: str | None) -> str | None:
    return None if text is None else clean_text(text)


def clip(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut to at most `limit` characters (at a whitespace when one is near the end),
    and whether it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    space = cut.rfind(" ", max(0, limit - 200))
    return (cut[:space] if space > 0 else cut).rstrip(), True


# The longest link newsmon takes from a feed or keeps (`corpus.schema.MAX_LONG_URL`): servers'
# request lines stop near 8 KB. An entry's longer link is refused (`feedlinks.within_bounds`).
MAX_LINK_CHARS = 8192


# Where a URL in a one-line message is cut: a 10,000-character link shown in full was a
# screenful in cron mail for one line (`cannot fetch …`, a feed's line in `newsmon feeds`).
URL_CHARS = 160


def short_url(url: str, limit: int = URL_CHARS) -> str:
    """`url` as `one_line` shows it, cut to `limit` characters ("…" last) but never before
    its host and the start of its path. Credentials are the caller's to hide first
    (`newsmon.urls.shown_url`)."""
    line = one_line(url)
    scheme, sep, rest = line.partition("://")
    host = len(scheme) + len(sep) + len(re.split(r"[/?#]", rest, maxsplit=1)[0]) if sep else 0
    return one_line(line, max(limit, host + 20))
