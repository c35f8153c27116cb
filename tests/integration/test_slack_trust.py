"""Slack over HTTPS whose certificate the client does not accept: an intercepting proxy with its
own authority, a certificate for another name, an expired one. The real slack_sdk clients talk to
the fake Slack served over real TLS (trustme certificates). Such a failure never heals by
itself: it was taken for a transient outage, and an alert retried silently for ~7.5 hours before
giving up. It is now a configuration problem told at once (the run fails), the alert kept queued.
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trustme

from newsmon.alerts import build_message
from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import deliver
from newsmon.slack import Cause, Kind, SlackFailure, SlackWebhookSender, SlackWebSender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import FakeSlack
from tests.unit.test_alerts import job


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _serve(cert: trustme.LeafCert) -> FakeSlack:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(tls)
    return FakeSlack(tls=tls).start()


@pytest.fixture
def trusting(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The client trusts the test authority (and nothing else): as SSL_CERT_FILE tells it."""
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return pem


@pytest.fixture(params=["unknown authority", "other name", "expired"])
def bad_tls(request: pytest.FixtureRequest, ca: trustme.CA, trusting: Path) -> Iterator[FakeSlack]:
    """A fake Slack over HTTPS whose certificate the client rejects."""
    if request.param == "unknown authority":  # an intercepting proxy's own authority
        cert = trustme.CA().issue_cert("127.0.0.1")
    elif request.param == "other name":
        cert = ca.issue_cert("slack.example.test")
    else:
        now = dt.datetime.now(dt.UTC)
        cert = ca.issue_cert(
            "127.0.0.1",
            not_before=now - dt.timedelta(days=30),
            not_after=now - dt.timedelta(days=1),
        )
    server = _serve(cert)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def proxy_tls(trusting: Path) -> Iterator[FakeSlack]:
    """One case of `bad_tls` (an intercepting proxy's own authority), where the case does not
    matter: the suite's time."""
    server = _serve(trustme.CA().issue_cert("127.0.0.1"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def good_tls(ca: trustme.CA, trusting: Path) -> Iterator[FakeSlack]:
    server = _serve(ca.issue_cert("127.0.0.1"))
    try:
        yield server
    finally:
        server.stop()


def test_a_trusted_certificate_posts(good_tls: FakeSlack) -> None:
    """The HTTPS fake itself works: only the certificate makes the difference below."""
    SlackWebSender(good_tls.token, base_url=good_tls.api_url, timeout=3).post(build_message(job()))
    assert len(good_tls.posts) == 1


@pytest.mark.parametrize("webhook", [False, True], ids=["web api", "webhook"])
def test_an_untrusted_certificate_is_a_configuration_problem(
    bad_tls: FakeSlack, webhook: bool
) -> None:
    sender = (
        SlackWebhookSender(bad_tls.webhook_url, timeout=3)
        if webhook
        else SlackWebSender(bad_tls.token, base_url=bad_tls.api_url, timeout=3)
    )
    with pytest.raises(SlackFailure) as err:
        sender.post(build_message(job()))
    assert err.value.kind is Kind.CREDENTIAL and err.value.cause is Cause.UNTRUSTED
    assert not err.value.maybe_posted and bad_tls.posts == []
    assert "certificate" in str(err.value) and "SSL_CERT_FILE" in str(err.value)
    assert bad_tls.token not in str(err.value) and "secretwebhookpart" not in str(err.value)


def test_a_lookup_refused_for_its_certificate_is_one_too(bad_tls: FakeSlack) -> None:
    message = build_message(job())
    assert message.marker is not None
    sender = SlackWebSender(bad_tls.token, base_url=bad_tls.api_url, timeout=3)
    with pytest.raises(SlackFailure) as err:
        sender.find("C0123456789", message.marker, datetime.now(UTC))
    assert err.value.kind is Kind.CREDENTIAL and err.value.cause is Cause.UNTRUSTED


def test_delivery_stops_at_once_and_keeps_the_alert(
    tmp_path: Path, sqlite_url: str, bad_tls: FakeSlack, good_tls: FakeSlack
) -> None:
    """The pass fails at once (credential_error), the alert stays queued with no attempt
    counted, and goes out once the certificate is trusted."""
    config = config_path(tmp_path, sqlite_url, retry_delays_minutes=[0])
    ctx = context(config, bad_tls)
    try:
        [alert] = queue_alerts(ctx.store, {"#a": 1})
        first = deliver(ctx)
        assert first.credential_error is not None and "certificate" in first.credential_error
        assert first.sent == 0 and first.retrying == 0
        [row] = ctx.store.list_alerts()
        assert row.status is AlertStatus.PENDING and row.attempts == 0
        ctx.secrets = type(ctx.secrets)(
            slack_bot_token=good_tls.token, slack_api_url=good_tls.api_url
        )
        assert deliver(ctx).sent == 1 and good_tls.metadata_ids() == [str(alert)]
    finally:
        ctx.close()


def test_slack_check_names_an_untrusted_certificate_and_exits_2(
    tmp_path: Path, proxy_tls: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`newsmon slack check` said "Slack refused the token" (exit 4) for a certificate: an
    operator rotated a good token. It is its own outcome now, with delivery's hint, exit 2."""
    from typer.testing import CliRunner

    from newsmon.cli import app
    from newsmon.slack.check import Access, Outcome, check
    from tests.support.configs import write_config

    monkeypatch.setenv("SLACK_BOT_TOKEN", proxy_tls.token)
    monkeypatch.setenv("NEWSMON_SLACK_API_URL", proxy_tls.api_url)
    config = write_config(tmp_path, channels={"policy": "#ai-policy"})
    result = CliRunner().invoke(app, ["slack", "check", "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert "refused the token" not in result.output
    assert "certificate" in result.output and "SSL_CERT_FILE" in result.output
    assert proxy_tls.token not in result.output and not proxy_tls.posts
    report = check(proxy_tls.token, {"#a": ("alerts",)}, base_url=proxy_tls.api_url, timeout=3)
    assert report.access is Access.UNTRUSTED and report.outcome is Outcome.UNTRUSTED


def test_a_notice_refused_for_its_certificate_shows_in_health(
    tmp_path: Path, sqlite_url: str, proxy_tls: FakeSlack, good_tls: FakeSlack
) -> None:
    """With no alert owed, only the operations channel's notice meets the certificate: the
    pass completed, one warning in a log nobody reads, and `newsmon health` said nothing of
    the problems going unannounced. It reports them now, with delivery's hint, one try a pass;
    the notice goes out once the certificate is trusted, and the report clears."""
    from newsmon.clock import utcnow
    from newsmon.health import ProblemKind
    from newsmon.pipeline.checkup import health_report
    from newsmon.pipeline.notices import announce_health
    from tests.integration.test_ops_notices import health

    def refused() -> list[str]:
        report = health_report(ctx.store, ctx.config, utcnow())
        return [p.message for p in report.problems if p.kind is ProblemKind.OPS_CHANNEL_REFUSED]

    config = config_path(tmp_path, sqlite_url, ops_channel="#ops")
    ctx = context(config, proxy_tls)
    try:
        for _ in range(2):
            down = announce_health(ctx, health(["wire"]))
            assert down.posted == 0 and down.error and "certificate" in down.error
            assert down.blocked and "`newsmon health` reports it" in down.line()
        [said] = refused()
        assert "certificate" in said and "SSL_CERT_FILE" in said
        assert ctx.store.notices.state().waiting == 1
        ctx.secrets = type(ctx.secrets)(
            slack_bot_token=good_tls.token, slack_api_url=good_tls.api_url
        )
        back = announce_health(ctx, health(["wire"]))
        assert back.posted == 1 and back.blocked is None and refused() == []
        assert good_tls.metadata_ids("newsmon_notice") == ["1"]
    finally:
        ctx.close()


def test_a_notice_lookup_refused_for_its_certificate_shows_in_health(
    tmp_path: Path, sqlite_url: str, proxy_tls: FakeSlack, good_tls: FakeSlack
) -> None:
    """A notice whose first post may have gone out (`internal_error`) is looked up before it
    is posted again; that lookup meeting the certificate left it "for the next pass", pass
    after pass, and `newsmon health` said nothing. It is reported as the post's failure is."""
    from newsmon.clock import utcnow
    from newsmon.health import ProblemKind
    from newsmon.pipeline.checkup import health_report
    from newsmon.pipeline.notices import announce_health
    from tests.integration.test_ops_notices import health
    from tests.support.fake_slack import INTERNAL_ERROR

    def refused() -> list[str]:
        report = health_report(ctx.store, ctx.config, utcnow())
        return [p.message for p in report.problems if p.kind is ProblemKind.OPS_CHANNEL_REFUSED]

    config = config_path(tmp_path, sqlite_url, ops_channel="#ops")
    ctx = context(config, good_tls)
    try:
        good_tls.channel_id("#ops")
        good_tls.script.append(INTERNAL_ERROR)
        assert announce_health(ctx, health(["wire"])).posted == 0
        good = ctx.secrets
        ctx.secrets = type(ctx.secrets)(
            slack_bot_token=proxy_tls.token, slack_api_url=proxy_tls.api_url
        )
        down = announce_health(ctx, health(["wire"]))
        assert down.error and "certificate" in down.error and down.blocked
        [said] = refused()
        assert "SSL_CERT_FILE" in said
        ctx.secrets = good
        back = announce_health(ctx, health(["wire"]))
        assert back.posted == 1 and refused() == []
        assert good_tls.metadata_ids("newsmon_notice") == ["1"]
    finally:
        ctx.close()
