"""The command line under odd input: every mistake is one line and exit 2, never a traceback."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_CONFIG, app
from newsmon.corpus import Store
from tests.support.configs import write_config

runner = CliRunner()

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "args",
    [
        ["articles", "--limit", HUGE],
        ["articles", "--cluster", HUGE],
        ["runs", "--limit", HUGE],
        ["alerts", "--limit", HUGE],
        ["prune", "--days", "inf"],
        ["prune", "--dry-run", "--days", "999999999"],
        ["health", "--max-age-minutes", "1e308"],
        ["health", "--failing-hours", "inf"],
        ["health", "--silent-days", "1e308"],
        ["feeds", "--failing-hours", "1e308"],
        ["feeds", "--silent-days", "inf"],
    ],
)
def test_numbers_beyond_any_use_are_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    """Ended in an OverflowError traceback (SQLite's integers, dates before year 1)."""
    path = write_config(tmp_path)
    result = runner.invoke(app, [*args, "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "OverflowError" not in result.output


@pytest.mark.parametrize("url", ["http://[::1", "https://[fe80::1/page", "http://[::1]:99999/"])
def test_classify_a_malformed_url_is_one_line(tmp_path: Path, url: str) -> None:
    """`newsmon classify "http://[::1"` ended in `ValueError: Invalid IPv6 URL`."""
    path = write_config(tmp_path)
    result = runner.invoke(app, ["classify", url, "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.output.count("\n") == 1 and url in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["alerts", "--channel", "news\udcff"],
        ["articles", "--topic", "policy\udcff"],
        ["runs", "--flow", "\udcffmonitor"],
    ],
)
def test_arguments_not_in_utf8_are_refused_in_one_line(tmp_path: Path, args: list[str]) -> None:
    """Bytes that are not UTF-8 (as Linux hands them over: lone surrogates) ended in a
    UnicodeEncodeError traceback when the query was sent."""
    path = write_config(tmp_path)
    result = runner.invoke(app, [*args, "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert isinstance(result.exception, SystemExit)
    assert "UTF-8" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("gzipped", [False, True])
def test_classify_reads_a_page_from_a_pipe(tmp_path: Path, gzipped: bool) -> None:
    """`newsmon classify <(curl -s URL)` (or `/dev/stdin`) answered `File or stream is not
    seekable`: the page's first bytes were read, then the file rewound."""
    import gzip
    import os

    path = write_config(tmp_path)
    page = b"Open-weight model released\nThe lab released the weights on Hugging Face.\n"
    read, write = os.pipe()
    try:
        os.write(write, gzip.compress(page) if gzipped else page)
        os.close(write)
        result = runner.invoke(app, ["classify", f"/dev/fd/{read}", "--config", str(path)])
    finally:
        os.close(read)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Open-weight model released\n")
    assert "plain text" in result.output


@pytest.mark.parametrize("url", ["http://[::1", "https://[fe80::1/feed.xml"])
def test_feeds_add_a_malformed_url_is_one_line_and_adds_nothing(tmp_path: Path, url: str) -> None:
    """`newsmon feeds add "http://[::1"` ended in `ValueError: Invalid IPv6 URL`."""
    path = write_config(tmp_path)
    before = path.read_bytes()
    result = runner.invoke(app, ["feeds", "add", url, "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.output.count("\n") == 1 and url in result.output
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "file:///etc/passwd", "data:text/xml,<rss/>", "ftp://example.org/f"],
)
def test_feeds_add_another_scheme_is_a_bad_argument(tmp_path: Path, url: str) -> None:
    """`newsmon feeds add javascript:alert(1)` exited 1 (`cannot fetch`, "no feed it can
    read"), as if the site were down, though the argument itself was wrong."""
    path = write_config(tmp_path)
    before = path.read_bytes()
    result = runner.invoke(app, ["feeds", "add", url, "--config", str(path)])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert result.stderr.count("\n") == 1 and "http:// or https://" in result.stderr
    assert result.stdout == "" and path.read_bytes() == before


def test_feeds_lists_a_long_feed_url_shortened(tmp_path: Path) -> None:
    """`newsmon feeds` printed a configured 10,000-character URL in full on the feed's line."""
    long = "https://news.example.org/feeds/" + "x" * 10_000 + ".xml"
    path = write_config(tmp_path, feeds=[("long", long)])
    Store.open(f"sqlite:///{tmp_path / 'corpus.db'}").close()  # reading makes none
    result = runner.invoke(app, ["feeds", "--config", str(path)])
    assert result.exit_code == 0, result.output[:500]
    lines = result.stdout.splitlines()
    assert lines and all(len(line) < 300 for line in lines), [line[:300] for line in lines]
    assert "https://news.example.org/feeds/xxx" in lines[0] and "…" in lines[0]


def test_backfill_urls_page_lines_show_a_long_url_shortened() -> None:
    """`newsmon backfill --urls` printed each page's 10,000-character URL in full."""
    from newsmon.pipeline.pages import PageOutcome
    from newsmon.report_pages import PagesResult

    url = "https://news.example.org/story?ref=" + "y" * 10_000
    result = PagesResult(pages=(PageOutcome(url, "failed", error="HTTP 404"),))
    line = result.cli_lines()[0]
    assert len(line) < 300 and "https://news.example.org/story?ref=yyy" in line, line[:300]
    assert "…" in line and line.endswith("(HTTP 404)")
