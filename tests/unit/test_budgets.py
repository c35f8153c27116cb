"""Bounds on what hostile pages can cost, pure parts: JSON-LD read by a parser within limits,
text cleaned and capped before hashing, MinHash in bounded batches, column values held to
their lengths, user regexes run by RE2, and what a task the worker pool stopped means for a
page or a feed (the worker pool itself: tests/integration)."""

from __future__ import annotations

import json
import time
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash
from pebble import ProcessExpired
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite

from newsmon.bounds import clean_text, clip
from newsmon.config import Config, FetchConfig
from newsmon.corpus.schema import ArticleRow, FeedRow
from newsmon.cpubudget import stopped
from newsmon.dedup import (
    _PERMUTATIONS,
    _SEED,
    NUM_PERM,
    minhash_signature,
    normalise_text,
    shingle_hashes,
)
from newsmon.embedded import JSONLD_MAX_DEPTH
from newsmon.embedded import jsonld_article as _jsonld_article
from newsmon.extract import _parse
from newsmon.feeds import FeedParseError
from newsmon.fetch import FailureKind
from newsmon.memcap import near_the_cap, reached_the_cap
from newsmon.pipeline.feed_pass import stopped_kind
from newsmon.poll import Severity, severity
from newsmon.rules import load_rules, parse_term
from newsmon.turns import task_times
from newsmon.workers import (
    PageJob,
    Stop,
    WorkerError,
    analyse,
    summary_only,
    worker_count,
)
from newsmon.yamlfile import ConfigError
from tests.conftest import SHIPPED_TOPICS

BODY = "Meta released open weights for its new model, with the checkpoints on Hugging Face. " * 8


def _ld(obj: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def test_jsonld_is_read_in_linear_time_from_repeated_script_tags() -> None:
    # the regex it replaces took ~1.6 s on 64 KB of this and grew with the square
    hostile = "<script " * (900 * 1024 // 8)
    started = time.perf_counter()
    assert _jsonld_article(_parse(hostile)) is None
    assert time.perf_counter() - started < 1.0


def test_jsonld_article_found_in_a_parsed_page() -> None:
    html = f"<html><head>{_ld({'@graph': [{'@type': 'WebPage'}, {'articleBody': 'body'}]})}</head></html>"
    assert _jsonld_article(_parse(html)) == {"articleBody": "body"}
    # a type written in capitals with spaces still counts; another script type does not
    loud = html.replace("application/ld+json", " Application/LD+JSON ")
    assert _jsonld_article(_parse(loud)) == {"articleBody": "body"}
    assert _jsonld_article(_parse(html.replace("ld+json", "json"))) is None


def test_jsonld_depth_and_nesting_are_bounded() -> None:
    deep: object = {"articleBody": "too deep"}
    for _ in range(JSONLD_MAX_DEPTH + 5):
        deep = {"x": deep}
    assert _jsonld_article(_parse(_ld(deep))) is None
    shallow: object = {"articleBody": "found"}
    for _ in range(JSONLD_MAX_DEPTH - 2):
        shallow = {"x": shallow}
    assert _jsonld_article(_parse(_ld(shallow))) == {"articleBody": "found"}
    # nesting deeper than json.loads can recurse is skipped, not raised
    bomb = '<script type="application/ld+json">' + "[" * 200_000 + "]" * 200_000 + "</script>"
    assert _jsonld_article(_parse(bomb)) is None


def test_clean_text_drops_nul_and_replaces_lone_surrogates() -> None:
    assert clean_text("a\x00b") == "ab"
    assert clean_text("x\ud800y\udfffz") == "x\ufffdy\ufffdz"
    assert clean_text("한국어 text 😀") == "한국어 text 😀"
    clean_text("x\ud800").encode("utf-8")  # encodable now


def test_clip_cuts_at_a_space_near_the_limit() -> None:
    assert clip("short", 10) == ("short", False)
    text, cut = clip("word " * 1000, 1003)
    assert cut and len(text) <= 1003 and not text.endswith(" ") and text.endswith("word")


def test_minhash_in_batches_equals_one_update() -> None:
    norm = normalise_text(BODY * 40)
    hashes = shingle_hashes(norm)
    one = MinHash(
        num_perm=NUM_PERM, seed=_SEED, scheme="affine32", hashfunc=int, permutations=_PERMUTATIONS
    )
    one.update_batch(hashes.tolist())
    signature = minhash_signature(BODY * 40)
    assert signature is not None
    assert signature.values == np.asarray(one.hashvalues, dtype="<u4").tobytes()


def test_analyse_cleans_caps_and_notes_before_hashing() -> None:
    rules = load_rules(SHIPPED_TOPICS)
    paragraph = "Open weights \x00 model \ud800 released. " * 200
    long_body = f"<html><body><article><p>{paragraph}</p></article></body></html>"
    job = PageJob(
        "https://x.test/a", long_body.encode("utf-8", "surrogatepass"), max_text_chars=1000
    )
    done = analyse(job, rules)
    text = done.extracted.text
    assert len(text) <= 1000 and "\x00" not in text
    text.encode("utf-8")  # no lone surrogate left
    assert "text cut at 1000 characters" in (done.extracted.note or "")
    assert done.content_hash is not None and done.signature is not None


def test_summary_only_is_bounded_and_carries_the_reason() -> None:
    job = PageJob("https://x.test/a", None, feed_title="t\x00", feed_summary="s\ud800" * 300_000)
    done = summary_only(job.without_page("extraction exceeded 10 s"))
    assert done.extracted.source == "feed-summary"
    assert done.extracted.note == "extraction exceeded 10 s; text cut at 200000 characters"
    assert len(done.extracted.text) <= 200_000 and done.extracted.title == "t"
    assert done.matches == () and done.content_hash is None


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_column_values_held_to_their_lengths(dialect: object) -> None:
    def bind(column: object, value: object) -> object:
        return column.type.process_bind_param(value, dialect)  # type: ignore[attr-defined]

    assert (
        bind(ArticleRow.__table__.c.url, "https://x.test/" + "a" * 3000)
        == "https://x.test/" + "a" * 1985
    )
    assert bind(ArticleRow.__table__.c.text, "nul\x00 and \ud800") == "nul and \ufffd"
    assert bind(ArticleRow.__table__.c.author, "n" * 600) == "n" * 500
    # an ETag or a date cut short would mean something else: dropped
    assert bind(FeedRow.__table__.c.etag, '"' + "e" * 600 + '"') is None
    assert bind(FeedRow.__table__.c.etag, '"abc"') == '"abc"'
    assert bind(FeedRow.__table__.c.last_modified, "Mon, " + "9" * 200) is None
    assert bind(ArticleRow.__table__.c.title, None) is None


def test_user_regex_runs_in_linear_time() -> None:
    term = parse_term("re: (a+)+b", "en")
    started = time.perf_counter()
    assert term.atoms[0].pattern.search("a" * 200_000) is None
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("pattern", [r"(?<=open )weights", r"(open)\s+\1", r"weights(?!x)"])
def test_a_regex_re2_cannot_run_is_refused_with_file_and_line(tmp_path: Path, pattern: str) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(f"version: 2\ntopics:\n  p:\n    terms:\n      en: ['re: {pattern}']\n")
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert f"{path}:5: topics.p.terms.en.0: bad term" in str(err.value)
    assert "for RE2" in str(err.value)


def test_worker_count_defaults_to_the_cores() -> None:
    assert worker_count(3) == 3 and worker_count(0) == 0
    assert worker_count(None) >= 1
    assert Config().workers is None and Config().extract.page_timeout_seconds == 10


@pytest.mark.parametrize(
    ("exc", "stop", "line"),
    [
        (FutureTimeout(), Stop.TIME, "feed parsing exceeded 0.5 s"),
        (MemoryError(), Stop.MEMORY, "feed parsing exceeded 1024 MB of memory"),
        (
            ProcessExpired("Abnormal termination", code=-9),
            Stop.DIED,
            "feed parsing worker died (signal 9)",
        ),
        (
            ProcessExpired("Abnormal termination", code=1),
            Stop.DIED,
            "feed parsing worker died (exit 1)",
        ),
        (BrokenProcessPool(), Stop.NO_WORKERS, "feed parsing workers cannot start within 1024 MB"),
    ],
)
def test_a_task_the_pool_stopped_is_one_line_and_a_kind(
    exc: BaseException, stop: Stop, line: str
) -> None:
    got = stopped(exc, "feed parsing", 0.5, 1024)
    assert got is not None and (got.stop, str(got)) == (stop, line)


@pytest.mark.parametrize(
    "exc", [FeedParseError("not a feed"), WorkerError("XMLSyntaxError: x"), ValueError("bug")]
)
def test_an_error_of_the_work_itself_is_not_a_stop(exc: Exception) -> None:
    assert stopped(exc, "feed parsing", 20, 1024) is None


def test_a_feed_whose_parsing_was_stopped_fails_by_its_kind() -> None:
    # over a budget or a dead worker: the feed's bytes, backed off as a hard failure; no worker
    # at all: the machine's or the configuration's, soft (fixed, the feeds resume in minutes)
    for stop in (Stop.TIME, Stop.MEMORY, Stop.DIED):
        assert stopped_kind(stop) is FailureKind.OVER_BUDGET
        assert severity(stopped_kind(stop), 200) is Severity.HARD
    assert stopped_kind(Stop.NO_WORKERS) is FailureKind.OTHER
    assert severity(stopped_kind(Stop.NO_WORKERS), 200) is Severity.SOFT


def test_the_feed_parse_budget_defaults_to_20_s_and_must_be_positive() -> None:
    assert Config().fetch.feed_parse_timeout_seconds == 20
    with pytest.raises(ValidationError):
        FetchConfig(feed_parse_timeout_seconds=0)


def test_an_error_that_cannot_travel_back_from_a_worker_comes_back_as_what_went_wrong() -> None:
    """lxml's errors carry an error log that does not pickle: a page's extraction failing on
    one came back from its worker as "cannot pickle '_ListErrorLog'", not as the error."""
    import pickle

    from lxml import etree

    from newsmon.workers import _travelling

    with pytest.raises(etree.XMLSyntaxError) as raised:
        etree.fromstring(b"<a><b></a>")
    sent = _travelling(raised.value)
    assert isinstance(sent, WorkerError) and str(sent).startswith("XMLSyntaxError: ")
    assert pickle.loads(pickle.dumps(sent)).args == sent.args
    plain = ValueError("a bug")
    assert _travelling(plain) is plain  # what pickles travels as itself


MB = 1 << 20


@pytest.mark.parametrize(
    ("before", "after", "verdict", "reached"),
    [
        (900 * MB, 1023 * MB, False, True),  # an allocation refused 1 MB short of the cap
        (300 * MB, 900 * MB, False, True),  # a large one refused with an eighth still free
        (300 * MB, 890 * MB, False, False),  # far from the cap: the task's own error
        # one large allocation refused outright: the peak did not move, but it is at the cap
        (1000 * MB, 1000 * MB, False, True),
        (None, 1023 * MB, False, False),  # no /proc: nothing known, the error stands
        # "not a feed": the publisher's, unless this very task took the worker to its cap
        (900 * MB, 1023 * MB, True, True),
        (1020 * MB, 1020 * MB, True, False),
        (300 * MB, 600 * MB, True, False),
    ],
)
def test_a_task_failing_at_the_memory_cap_is_told_from_its_own_error(
    before: int | None, after: int, verdict: bool, reached: bool
) -> None:
    """C code refused memory under the cap says so in its own words (CI saw CPython's
    SystemError "error return without exception set" from a feed parser): the address-space
    peak tells the cap's doing from the task's own error."""
    assert reached_the_cap(before, after, 1024 * MB, verdict=verdict) is reached
    assert reached_the_cap(before, after, None, verdict=verdict) is False  # no cap set


@pytest.mark.parametrize(
    ("held", "cap", "started", "spent"),
    [
        (391 * MB, 392 * MB, 376 * MB, True),  # CI after a MemoryError: 1 MB of the cap left
        (900 * MB, 1024 * MB, 376 * MB, True),
        (895 * MB, 1024 * MB, 376 * MB, False),
        (900 * MB, 1024 * MB, None, True),  # start unknown: an eighth
        # a cap just above a started worker: an ordinary task is not the one that reached it
        (380 * MB, 420 * MB, 376 * MB, False),
        (399 * MB, 420 * MB, 376 * MB, True),
        (380 * MB, 370 * MB, 376 * MB, True),  # no room at all
        (None, 1024 * MB, 376 * MB, False),  # no /proc
        (1023 * MB, None, 376 * MB, False),  # no cap
    ],
)
def test_a_worker_still_near_its_cap_after_a_task_is_spent(
    held: int | None, cap: int | None, started: int | None, spent: bool
) -> None:
    """Near the cap after a task, a worker would fail whatever came next; near means within
    an eighth of the cap, or half the room it had once started when that is less."""
    assert near_the_cap(held, cap, started) is spent


def test_a_feeds_task_leaves_its_downloads_time_for_the_work_after_them() -> None:
    """The defaults: pages' last turn two minutes before the task's end (a 30 s download,
    a 20 s parse and a 10 s extraction, each twice, 30 s of storing), downloads ended 90 s
    before it; no CPU work given a worker after 530 s (the longer budget twice, and storing);
    each leave is half the task at most, CPU work's a quarter: in a task shorter than its
    leaves, a page whose download was cut at the deadline still had no worker to be stored
    from its teaser (work's time was the downloads')."""
    default = task_times(600, download=30, parse=20, extract=10)
    assert (default.pages, default.downloads, default.work) == (480, 510, 530)
    slow = task_times(600, download=120, parse=60, extract=60)
    assert (slow.pages, slow.downloads, slow.work) == (300, 330, 450)  # half the task at most
    short = task_times(8, download=30, parse=20, extract=10)
    assert (short.pages, short.downloads, short.work) == (4, 4, 6)
