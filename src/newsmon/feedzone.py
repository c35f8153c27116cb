"""The zone of a feed's dates written without one, when its configuration names none.

RSS and Atom cannot say it, but a feed says where it is written: a Korean desk's
"2025-02-20 14:30:00" is Seoul's clock, read as UTC it was nine hours ahead (a story out at
09:00 KST stored as 18:00 KST, then not believed, or an old story taken for new). Evidence, first
that speaks: the configuration (`FeedConfig.date_zone`, or `language: en`: no guess), then the
language the feed declares (RSS `<language>`, `dc:language`, Atom `xml:lang`, JSON Feed
`language`): Korean ("ko", "kor", or the country "kr") or a Korean region is Seoul, a language
or region of one national clock its clock (`ja` Tokyo, `zh-TW` Taipei: `LANGUAGE_ZONES`,
`REGION_ZONES`), any other UTC; then its content: titles mostly Korean, or a host under `.kr`,
are Seoul. Else UTC, as before.

A page no feed speaks for (given by URL: `newsmon backfill --urls`) is read so by its own
evidence (`page_zone`): the language its `<html lang>` (else `og:locale`) declares, its host,
the title it was given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import islice
from urllib.parse import urlsplit

import re2

from newsmon.hosts import host_key
from newsmon.language import detect_language

SEOUL = "Asia/Seoul"
# Korea's country domains, as `host_key` spells them: `.kr` and `.한국`
_KOREAN_DOMAINS = (".kr", ".xn--3e0b707e")
# Korean as feeds declare it: ISO 639-1, ISO 639-2 (Dublin Core's "kor"), and the country
# written for the language ("kr", Kanuri's code, which no feed newsmon reads is in)
_KOREAN_CODES = ("ko", "kor", "kr")
# Languages and regions a feed may declare that keep one national clock (a region names it
# first: `en-KR` is Seoul's, `zh-TW` Taipei's); any other declaration (`en`, `zh`) is UTC.
LANGUAGE_ZONES = {"ja": "Asia/Tokyo", "jpn": "Asia/Tokyo"} | dict.fromkeys(_KOREAN_CODES, SEOUL)
REGION_ZONES = {
    "KR": SEOUL,
    "JP": "Asia/Tokyo",
    "TW": "Asia/Taipei",
    "CN": "Asia/Shanghai",
    "HK": "Asia/Hong_Kong",
}
TITLES_READ = 50  # titles enough to tell a feed's language; reading more costs time only
# A BCP 47 tag's language and region ("ko-KR", "ko_kr", "en-KR"); a script may sit between.
_TAG = re.compile(r"([a-z]{2,3})(?:[-_][a-z]{4})?(?:[-_]([a-z]{2}))?\b", re.I)
# A page's own word on its language, in its head: `<html lang>` (`xml:lang`), else `og:locale`.
# On re2 (linear time): on re, a head of `<meta` openings then `property='og:locale'`s with no
# `content` took 25 s (each opening met each property and read on to the end), past a page's
# 10 s budget.
PAGE_HEAD = 16_384
_HTML_LANG = re2.compile(rb"(?i)<html\b[^>]*?\s(?:xml:)?lang\s*=\s*[\"']?([a-z_-]{2,20})")
_OG_LOCALE = re2.compile(
    rb"(?i)<meta\b[^>]*?property\s*=\s*[\"']og:locale[\"'][^>]*?content\s*=\s*[\"']([a-z_-]{2,20})"
)


def feed_zone(declared: object, titles: Iterable[object], url: str) -> str | None:
    """The zone of the feed's bare dates by what it declares, else by what it carries (Seoul's),
    or None (UTC)."""
    tag = _TAG.match(declared.strip()) if isinstance(declared, str) else None
    if tag is not None:
        language, region = tag.group(1).lower(), (tag.group(2) or "").upper()
        return REGION_ZONES.get(region) or LANGUAGE_ZONES.get(language)
    host = host_key(urlsplit(url).hostname or "")  # `ｋｒ`, `KR.`: `.kr`
    if host.endswith(_KOREAN_DOMAINS):
        return SEOUL
    read = list(islice((t for t in (_title(t) for t in titles) if t), TITLES_READ))
    korean = sum(detect_language(t) == "ko" for t in read)
    return SEOUL if read and 2 * korean > len(read) else None


def page_zone(data: bytes | None, url: str | None, title: str = "") -> str | None:
    """The zone of a page's bare dates when no feed speaks for it, by the same evidence in the
    same order as a feed's (`feed_zone`): the language it declares, its host, its title."""
    head = (data or b"")[:PAGE_HEAD]
    found = _HTML_LANG.search(head) or _OG_LOCALE.search(head)
    declared = found.group(1).decode("ascii") if found else None
    return feed_zone(declared, [title], url or "")


def _title(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
