"""Identity of a story, cheapest test first: canonical URL (newsmon.urls), exact body hash,
MinHash signature.

Pure functions, so the same rules hold in the pipeline, the backfill, the benchmark and the
tests. The corpus (newsmon.corpus) keeps the signatures and their LSH band keys; this module only
computes them and decides what counts as "the same story" (newsmon.clusters applies that to the
stored clusters).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from newsmon.bounds import INVISIBLE
from newsmon.headlines import ADDRESS, headline_key, is_headline, unlabelled, without_headline
from newsmon.urls import canonical_url

# Minimum length below which a body is too thin to identify a story by its hash.
MIN_HASHABLE_CHARS = 200


# the key of an entry without a link: its feed's name and its GUID or text, digested
LINKLESS_KEY = "urn:newsmon:entry:"


def entry_identity(link: str | None, feed: str, guid: str | None, text: str) -> str:
    """What makes a feed entry itself: its canonical link, or for an entry without one, a
    stable name from its feed (the configured name: it survives URL moves) and its GUID (or,
    lacking that, its text, folded as keys always were: stored keys must not move)."""
    if link:
        return canonical_url(link)
    basis = guid or _key_text(text)
    digest = hashlib.sha1(f"{feed}\n{basis}".encode()).hexdigest()[:20]
    return f"{LINKLESS_KEY}{digest}"


_SPACE = re.compile(r"\s+")
_PUNCT_CATEGORIES = ("P", "S")
# characters whose folding `_Folding` remembers, at most: crafted text of a million distinct
# characters must not grow the table past a few MB
_FOLDINGS_KEPT = 1 << 16


class _Folding(dict[int, int | str]):
    """`str.translate`'s table of `_key_text`'s punctuation step: punctuation and symbols are a
    space, any other character itself. Filled as characters are seen: a Python loop over each
    character's category took ~0.3 µs a character, ~1 s of the pass's event loop to key a feed
    of 100 link-less entries of 20,000 characters."""

    def __missing__(self, code: int) -> int | str:
        folded: int | str = " " if unicodedata.category(chr(code))[0] in _PUNCT_CATEGORIES else code
        if len(self) < _FOLDINGS_KEPT:
            self[code] = folded
        return folded


_FOLDING = _Folding()


def _key_text(text: str) -> str:
    """The first folding: width, case, punctuation, spacing. Entry keys and fingerprints are
    stored, so they keep this one (migration 0002 has a frozen copy)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.translate(_FOLDING)
    return _SPACE.sub(" ", text).strip()


def normalise_text(text: str) -> str:
    """Fold the differences that copying a story introduces: invisible characters, width, case,
    punctuation, spacing."""
    # Feeds carry invisible characters (AI타임스 opens items with runs of U+200B and titles with
    # U+FEFF), page extraction drops them: one after every space made a teaser another text to
    # the 5-gram rule. None is a non-ignorable character's NFKC part, so they can go first; text
    # without any normalises exactly as before (stored signatures stay valid).
    return _key_text(INVISIBLE.sub("", text))


def content_hash(text: str | None) -> str | None:
    """SHA-256 of the normalised body; None when the body is too short to identify a story."""
    if not text:
        return None
    norm = normalise_text(text)
    if len(norm) < MIN_HASHABLE_CHARS:
        return None
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def hash_before_folding(text: str | None) -> str | None:
    """The hash `text` had before invisible characters were folded (2026-11), when folding
    changes it (None otherwise): a body stored before keeps its hash, and an identical copy of
    it (the same characters) must still find it."""
    if not text or not INVISIBLE.search(text):
        return None
    norm = _key_text(text)
    if len(norm) < MIN_HASHABLE_CHARS:
        return None
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


# --- near duplicates: MinHash over character n-grams, LSH banding ---------------------------
#
# Every constant below was chosen from measurements, not guessed: README "## Deduplication"
# has the figures (bench/dedup_thresholds.py on the labelled set in tests/data/dedup/, and the
# background similarity of unrelated real articles in the shared evaluation corpus).

# Character n-grams of the normalised body: no tokenizer, so Korean and English alike. 9, not
# 5: with 5-grams unrelated English articles share so many word fragments (median Jaccard
# 0.066) that the LSH index would return ~18,000 candidates per article in a 1M corpus; with
# 9-grams the median is 0.005 (~40 candidates), while true pairs keep the same similarity
# (exact Jaccard >= 0.51 for copies truncated to 60 %, the hardest kind) and distinct stories
# on the same subject fall to <= 0.10 (0.20 with 5-grams).
SHINGLE_CHARS = 9
# 128 permutations: the estimate's standard error is sqrt(J(1-J)/128) <= 0.044.
NUM_PERM = 128
# LSH: BANDS bands of ROWS rows (126 of the 128 values). A pair with Jaccard J becomes a
# candidate with probability 1 - (1 - J**ROWS)**BANDS: 0.94 at J=0.4, 0.996 at 0.5 (copies
# truncated to 60 % sit at 0.5-0.6), 0.04 at 0.1 (distinct stories on one subject).
BANDS, ROWS = 42, 3
# A candidate is the same story when its estimated Jaccard similarity reaches this: halfway
# between distinct stories (max 0.10 exact, +3 standard errors = 0.18) and truncated copies
# (min 0.51 exact, -3 standard errors = 0.38) on the labelled set.
NEAR_DUP_THRESHOLD = 0.3
# Bodies shorter than this (normalised characters) get no signature: too few n-grams to tell
# a story from its subject.
MIN_SIGNATURE_CHARS = MIN_HASHABLE_CHARS
_SEED = 1
# Bounds of one signature's work: distinct shingles hashed into it at most (the smallest hash
# values, a consistent sample across documents; stored text is capped far below this, see
# newsmon.bounds), and shingles per batch update (each costs NUM_PERM 64-bit values of
# scratch, so a batch of 8,192 needs ~8 MB at a time whatever the body's length).
MAX_SHINGLES = 250_000
SHINGLE_BATCH = 8192
# datasketch 2.0 changed its permutations (scheme "affine32"; "legacy" before): signatures from
# different schemes are not comparable, so each stored signature names the scheme that made it:
# datasketch's scheme, how shingles are hashed (a 64-bit polynomial hash of the code points,
# finalised with MurmurHash3's fmix64, top 32 bits), seed, permutations and n-gram size.
MINHASH_SCHEME = f"ds2-affine32-poly64-s{_SEED}-p{NUM_PERM}-c{SHINGLE_CHARS}"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme="affine32").permutations
_POLY = np.uint64(0x100000001B3)


@dataclass(frozen=True)
class Signature:
    """A MinHash signature as stored: its scheme, NUM_PERM little-endian uint32 values."""

    scheme: str
    values: bytes

    def band_keys(self) -> list[int]:
        return band_keys(self)


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    mixed: np.ndarray = h ^ (h >> np.uint64(33))
    return mixed


def shingle_hashes(norm: str, n: int = SHINGLE_CHARS) -> np.ndarray:
    """32-bit hashes of the distinct SHINGLE_CHARS-grams of normalised text, computed in numpy
    (the per-shingle SHA-1 that datasketch uses by default took half the signature's time)."""
    points = np.frombuffer(norm.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    width = min(n, len(points))
    count = len(points) - width + 1
    h = np.zeros(count, dtype=np.uint64)
    for k in range(width):
        h = h * _POLY + points[k : k + count]
    hashes: np.ndarray = np.unique((_fmix64(h) >> np.uint64(32)).astype(np.uint32))
    return hashes


def minhash_signature(text: str | None) -> Signature | None:
    """The body's MinHash signature, or None when the body is too short to stand for a story."""
    if not text:
        return None
    norm = normalise_text(text)
    if len(norm) < MIN_SIGNATURE_CHARS:
        return None
    mh = MinHash(
        num_perm=NUM_PERM, seed=_SEED, scheme="affine32", hashfunc=int, permutations=_PERMUTATIONS
    )
    hashes = shingle_hashes(norm)[:MAX_SHINGLES]  # sorted: the smallest values
    for start in range(0, len(hashes), SHINGLE_BATCH):  # the minimum per batch: same result
        mh.update_batch(hashes[start : start + SHINGLE_BATCH].tolist())
    values = np.asarray(mh.hashvalues, dtype="<u4")
    return Signature(MINHASH_SCHEME, values.tobytes())


def band_keys(signature: Signature) -> list[int]:
    """One signed 64-bit key per band; the scheme and band layout are part of every key, so
    signatures of another scheme never collide with these."""
    prefix = f"{signature.scheme}/{BANDS}x{ROWS}/".encode()
    width = ROWS * 4
    keys = []
    for band in range(BANDS):
        chunk = signature.values[band * width : (band + 1) * width]
        digest = hashlib.blake2b(prefix + band.to_bytes(2, "big") + chunk, digest_size=8)
        keys.append(int.from_bytes(digest.digest(), "big", signed=True))
    return keys


def jaccard_estimate(a: bytes, b: bytes) -> float:
    """The fraction of equal MinHash values: an unbiased estimate of the Jaccard similarity."""
    va, vb = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    if va.shape != vb.shape or not va.size:
        return 0.0
    return float(np.count_nonzero(va == vb)) / va.size


def is_near_duplicate(similarity: float) -> bool:
    return similarity >= NEAR_DUP_THRESHOLD


def entry_fingerprint(title: str | None, summary: str | None) -> str:
    """What a feed says about an entry (headline and summary), hashed: when it changes under a
    known URL, the publisher edited the story. Folded as fingerprints always were: they are
    stored, and one computed another way would make an unchanged entry look edited."""
    norm = _key_text(title or "") + "\n" + _key_text(summary or "")
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


# --- short items: the body without its headline ----------------------------------------------
#
# A summary-length item (a headline and one or two sentences) is too short for the rules above:
# under MIN_SIGNATURE_CHARS it has no hash and no signature at all, and just above it a new
# headline is a large share of its n-grams. Such items are compared a second way: by their body
# without the headline line, exactly (not estimated), against candidates found through band keys
# of that body. The stored signature (MINHASH_SCHEME, the whole text) is untouched, so corpora
# stored before keep matching as they did. README "Deduplication" has the measurements.

# Bodies (normalised, headline removed) from this length up to SHORT_BODY_CHARS get the rule.
# Below it a body is too thin to be a story (a "read more" line, a caption).
MIN_SHORT_BODY_CHARS = 60
SHORT_BODY_CHARS = 500
# A text longer than SHORT_TEXT_BASE + SHORT_TEXT_PER_TITLE_CHAR * (title's length) is no short
# item whatever normalising removes (`short_body`); the index retention reads no longer text.
SHORT_TEXT_BASE = 3 * SHORT_BODY_CHARS
SHORT_TEXT_PER_TITLE_CHAR = 2
# Exact Jaccard of the bodies' n-gram sets at which two short bodies are one story.
SHORT_SHINGLE_CHARS = 5
SHORT_THRESHOLD = 0.3
# Band keys of a short body's MinHash: another scheme name, so they never meet the whole-text
# keys in the band index; this signature is never stored, only its bands.
SHORT_BODY_SCHEME = f"body-{MINHASH_SCHEME}"


def headline_free_body(
    title: str | None, text: str | None, fold: Callable[[str], str] | None = None
) -> str:
    """The normalised text without its first line when that line is the headline
    (`headlines.is_headline`), and without web addresses (`headlines.ADDRESS`).
    `fold` is the normalisation (`normalise_text` unless given)."""
    fold = fold or normalise_text
    return fold(ADDRESS.sub(" ", without_headline(title, text or "", fold)))


def short_body(
    title: str | None,
    text: str | None,
    fold: Callable[[str], str] | None = None,
    floor: int = MIN_SHORT_BODY_CHARS,
) -> str | None:
    """A summary-length item's headline-free body of `floor`+ characters (else None)."""
    if not text or len(text) > SHORT_TEXT_BASE + SHORT_TEXT_PER_TITLE_CHAR * len(title or ""):
        return None  # not summary-length whatever normalising removes: spare the work
    body = headline_free_body(title, text, fold)
    return body if floor <= len(body) < SHORT_BODY_CHARS else None


def short_body_keys(title: str | None, text: str | None) -> list[int]:
    """Band keys of a summary-length item's body (none for other items): how copies under
    another headline find it in the band index."""
    body = short_body(title, text)
    return [] if body is None else body_band_keys(body)


def index_keys(title: str | None, text: str | None, signature: Signature | None) -> list[int]:
    """Every key an article is indexed under: its signature's bands, a short item's body
    keys (none for other items), its lead's keys (`lead_keys`), a one-line item's key."""
    whole = signature.band_keys() if signature else []
    return whole + headline_keys(title, text)


def headline_keys(title: str | None, text: str | None) -> list[int]:
    """The keys where the body starts decides (a new headline can move it): a short item's
    body keys, the lead's keys, a one-line item's key."""
    return (
        short_body_keys(title, text)
        + lead_keys(title, text)
        + one_line_keys(title, text)
        + title_keys(title)
    )


def title_keys(title: str | None) -> list[int]:
    """The band key of a headline that tells a story by itself (`headlines.headline_key`)."""
    name = normalise_text(unlabelled(title or ""))
    return [headline_key(name)] if information_chars(name) >= MIN_ONE_LINE_TITLE_CHARS else []


def keys_before_folding(title: str | None, text: str | None) -> list[int]:
    """The body keys a short item holding invisible characters had before they were folded
    (2026-11), when folding changes them (none otherwise). Band rows are deleted by the keys
    the stored text gives: an item indexed before must lose these rows too."""
    if not any(INVISIBLE.search(part or "") for part in (title, text)):
        return []
    body = short_body(title, text, _key_text)
    if body is None or body == short_body(title, text):
        return []
    return body_band_keys(body)


def earlier_keys(title: str | None, text: str | None) -> list[int]:
    """Keys an article stored before may hold beside its keys of now (see the two below)."""
    return keys_before_folding(title, text) + keys_before_labels(title, text)


def keys_before_labels(title: str | None, text: str | None) -> list[int]:
    """The body and lead keys an article had when a label on one side only ("[속보]" on the
    title, not on the page's first line) hid its headline line (before 2026-12): band rows
    are deleted by the keys the stored text gives, and an article indexed before must lose
    these rows too. None when the label changes nothing."""
    first, sep, _ = (text or "").strip().partition("\n")
    if not sep or is_headline(first, title, normalise_text, labels=False):
        return []
    if not is_headline(first, title, normalise_text):
        return []
    return short_body_keys(None, text) + lead_keys(None, text)


def body_band_keys(body: str) -> list[int]:
    """Band keys of a normalised short body's MinHash (SHORT_BODY_SCHEME)."""
    mh = MinHash(
        num_perm=NUM_PERM, seed=_SEED, scheme="affine32", hashfunc=int, permutations=_PERMUTATIONS
    )
    mh.update_batch(shingle_hashes(body, SHORT_SHINGLE_CHARS).tolist())
    values = np.asarray(mh.hashvalues, dtype="<u4")
    return band_keys(Signature(SHORT_BODY_SCHEME, values.tobytes()))


def body_similarity(a: str, b: str, n: int = SHORT_SHINGLE_CHARS) -> float:
    """Exact Jaccard similarity of two normalised bodies' n-gram sets: short bodies have few
    n-grams, and an estimate's error (±0.044) would be a large share of them."""
    ga = {a[i : i + n] for i in range(max(1, len(a) - n + 1))}
    gb = {b[i : i + n] for i in range(max(1, len(b) - n + 1))}
    return len(ga & gb) / len(ga | gb) if ga and gb else 0.0


def is_short_duplicate(similarity: float) -> bool:
    return similarity >= SHORT_THRESHOLD


# --- one-line items: a headline and a line under the short-item rule's floor ---------------
#
# A headline and a summary under MIN_SHORT_BODY_CHARS (a wire's one-line "[속보]", a one-line
# brief) has no hash, signature, short body or lead: two feeds carrying it under two URLs were
# two stories, two top-level alerts. Identical ones (headline without its labels, and line,
# normalised) are one story, found through one more key in the band index
# (`clusters.one_line_copy`). The headline must tell a story by itself: "속보", "Breaking news",
# "오늘의 주요 소식" are under the floor, and a generic line ("Read more", the site's name,
# nothing) under two headlines is two keys. README "Deduplication", Short items.

# information_chars of the headline without labels, and of headline and line together
MIN_ONE_LINE_TITLE_CHARS = 20
MIN_ONE_LINE_CHARS = 40
ONE_LINE_SCHEME = "one-line-v1"


def one_line(title: str | None, text: str | None) -> str | None:
    """A one-line item's identity, its headline without labels and its line (a line that only
    repeats the headline counts as none), normalised; None for longer items and for a
    headline too generic to tell a story."""
    if text and len(text) > SHORT_TEXT_BASE + SHORT_TEXT_PER_TITLE_CHAR * len(title or ""):
        return None  # not summary-length whatever normalising removes: spare the work
    name = normalise_text(unlabelled(title or ""))
    body = headline_free_body(title, text)
    if len(body) >= MIN_SHORT_BODY_CHARS:
        return None  # the short-item rule's (`short_body`)
    if body in (name, normalise_text(title or "")):
        body = ""
    told = information_chars(name)
    if told < MIN_ONE_LINE_TITLE_CHARS or told + information_chars(body) < MIN_ONE_LINE_CHARS:
        return None
    return f"{name}\n{body}"


def one_line_keys(title: str | None, text: str | None) -> list[int]:
    """The band key of a one-line item's identity (none for other items)."""
    identity = one_line(title, text)
    if identity is None:
        return []
    digest = hashlib.blake2b(f"{ONE_LINE_SCHEME}/{identity}".encode(), digest_size=8)
    return [int.from_bytes(digest.digest(), "big", signed=True)]


# --- a teaser and the opening of a long article -----------------------------------------------
#
# A feed's teaser (its summary, stored when the page could not be read) is the opening of the
# article, often cut: it scores ~0.19 against its own full page, and a long page has no body
# keys for it to meet. So every article is also indexed by its lead, the first LEAD_CHARS of
# its headline-free body, and a summary-length body is compared with the opening of a long
# article by containment: the share of its 5-grams found in the article's first
# LEAD_WINDOW × its own length. README "Deduplication" has the measurements.

LEAD_CHARS = 150
# The short side needs this many characters (`information_chars`): under it, two stories told
# with one lede template (the labelled set's DeepSeek R1 and Janus-Pro) contain each other's
# opening words. A Hangul syllable, kana or CJK ideograph counts HANGUL_WEIGHT (2-3 times an
# English letter's information): a one-sentence "[속보]" is 60-80 characters, "【速報】" 40-55.
MIN_LEAD_BODY_CHARS = 80
HANGUL_WEIGHT = 2
_HANGUL = re.compile(
    "[\uac00-\ud7a3\u3041-\u3096\u30a1-\u30fa\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
LEAD_WINDOW = 1.25
LEAD_THRESHOLD = 0.9
# The raw text a lead is read from (its headline line included): a long article's lead and
# window never need more, so a prefix of this length gives the same keys (index retention).
LEAD_SOURCE_CHARS = 2000
# Another seed than the body keys': a short body shorter than LEAD_CHARS is its own lead, and
# these bands are then a second, independent chance for two copies to meet.
_LEAD_SEED = 2
LEAD_SCHEME = f"lead-ds2-affine32-poly64-s{_LEAD_SEED}-p{NUM_PERM}-c{SHORT_SHINGLE_CHARS}"
_LEAD_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=_LEAD_SEED, scheme="affine32").permutations


def opening(title: str | None, text: str | None) -> str:
    """The headline-free body of an article's first LEAD_SOURCE_CHARS (normalised)."""
    return headline_free_body(title, (text or "")[:LEAD_SOURCE_CHARS])


def information_chars(norm: str) -> int:
    """A normalised text's length counted per script: Hangul, kana, ideographs HANGUL_WEIGHT."""
    return len(norm) + (HANGUL_WEIGHT - 1) * len(_HANGUL.findall(norm))


def lead_keys(title: str | None, text: str | None) -> list[int]:
    """Band keys of an article's lead (none when its body is too short to have one)."""
    lead = opening(title, text)[:LEAD_CHARS]
    if information_chars(lead) < MIN_LEAD_BODY_CHARS:
        return []
    mh = MinHash(
        num_perm=NUM_PERM,
        seed=_LEAD_SEED,
        scheme="affine32",
        hashfunc=int,
        permutations=_LEAD_PERMUTATIONS,
    )
    mh.update_batch(shingle_hashes(lead, SHORT_SHINGLE_CHARS).tolist())
    values = np.asarray(mh.hashvalues, dtype="<u4")
    return band_keys(Signature(LEAD_SCHEME, values.tobytes()))


def lead_containment(short: str, body: str, n: int = SHORT_SHINGLE_CHARS) -> float:
    """The share of a short body's n-grams found in the opening of a long `body` (its first
    LEAD_WINDOW × len(short) characters): a teaser cut from the article scores ~1 whatever
    the article's length; 0.0 for a short body too short to tell."""
    if information_chars(short) < MIN_LEAD_BODY_CHARS:
        return 0.0
    window = body[: int(len(short) * LEAD_WINDOW)]
    grams = {short[i : i + n] for i in range(len(short) - n + 1)}
    found = {window[i : i + n] for i in range(max(0, len(window) - n + 1))}
    return len(grams & found) / len(grams)


def is_lead_copy(containment: float) -> bool:
    return containment >= LEAD_THRESHOLD
