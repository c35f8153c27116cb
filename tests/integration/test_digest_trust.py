"""A digest whose delivery ends on a TLS certificate the client does not trust (an intercepting
proxy's own authority: `Cause.UNTRUSTED`): it is neither recorded as posted nor lost, but left
for a later call, which finishes it once, after the parts already posted. The real slack_sdk
client against the fake Slack served over real TLS (trustme), SQLite and PostgreSQL."""

from __future__ import annotations

import ssl
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select

from newsmon.corpus.records import AlertStatus
from newsmon.corpus.schema import DigestRow
from newsmon.pipeline.context import Context
from newsmon.pipeline.digests import Posting, finish_digests, run_digest
from newsmon.slack import make_sender
from tests.support.delivery import announce_alerts, config_path, context
from tests.support.fake_slack import FakeSlack

NOW = datetime.now(UTC)
PERIOD = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))


@pytest.fixture
def proxied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    """Slack behind a TLS-inspecting proxy whose authority the client does not trust (it trusts
    only an authority of its own, as SSL_CERT_FILE tells it)."""
    pem = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(tls)
    server = FakeSlack(tls=tls).start()
    try:
        yield server
    finally:
        server.stop()


def _through(ctx: Context, fake: FakeSlack) -> None:
    """Deliver through `fake` from now on (the same token; another endpoint)."""
    ctx.secrets = type(ctx.secrets)(slack_bot_token=fake.token, slack_api_url=fake.api_url)


def _row(ctx: Context) -> DigestRow:
    with ctx.store.session() as s:
        [row] = s.scalars(select(DigestRow))
        s.expunge(row)
        return row


def test_a_digest_refused_for_the_certificate_is_left_and_finished_once_later(
    tmp_path: Path, db_url: str, fake: FakeSlack, proxied: FakeSlack
) -> None:
    ctx = context(config_path(tmp_path, db_url), proxied)
    try:
        announce_alerts(ctx.store, {"#a": 2})
        first = run_digest(ctx, make_sender(ctx.secrets, ctx.config.slack), *PERIOD)
        assert first.credential_error is not None and "certificate" in first.credential_error
        assert first.left == ["#a"] and first.outcomes["#a"] is Posting.LEFT
        assert proxied.posts == []
        row = _row(ctx)  # never reached Slack: nothing to look up before posting it
        assert row.status is AlertStatus.PENDING and row.parts_sent == 0
        assert row.post_started_at is None and "certificate" in (row.last_error or "")
        _through(ctx, fake)  # the proxy's authority trusted, or the proxy gone
        later = finish_digests(ctx, make_sender(ctx.secrets, ctx.config.slack))
        assert later.posted == 1 and later.unfinished == 0, later.lines()
        assert Counter(fake.metadata_ids("newsmon_digest")) == {f"{row.id}:1": 1}
        assert _row(ctx).status is AlertStatus.SENT
    finally:
        ctx.close()


def test_a_lookup_refused_for_the_certificate_keeps_the_part_to_look_up(
    tmp_path: Path, db_url: str, fake: FakeSlack, proxied: FakeSlack
) -> None:
    """A part whose answer was lost, then a call behind the proxy: its lookup is refused; the
    digest stays left with the part still to look up, so it is found, not posted twice."""
    ctx = context(config_path(tmp_path, db_url, timeout=1), fake)
    try:
        announce_alerts(ctx.store, {"#a": 2})
        fake.delay_after = 1.5  # Slack takes the part, its answer comes after the timeout
        assert run_digest(ctx, make_sender(ctx.secrets, ctx.config.slack), *PERIOD).left
        fake.delay_after = 0
        unknown = _row(ctx).post_started_at
        assert unknown is not None
        _through(ctx, proxied)
        refused = run_digest(ctx, make_sender(ctx.secrets, ctx.config.slack), *PERIOD)
        assert refused.credential_error is not None and refused.left == ["#a"]
        row = _row(ctx)
        assert row.status is AlertStatus.PENDING and row.post_started_at == unknown
        _through(ctx, fake)
        found = run_digest(ctx, make_sender(ctx.secrets, ctx.config.slack), *PERIOD)
        assert found.posted == 0 and found.unfinished == 0, found.lines()
        assert set(Counter(fake.metadata_ids("newsmon_digest")).values()) == {1}
        assert _row(ctx).slack_ts == fake.posts[0]["ts"]
    finally:
        ctx.close()
