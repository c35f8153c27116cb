"""What went wrong with a post, as the real slack_sdk clients see the fake Slack's answers: an
outage is Slack failing (or something between us and Slack), never Slack refusing the message,
and a request that never left (DNS, TLS) is not taken for one that may have been posted."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsmon.alerts import build_message
from newsmon.corpus.records import AlertStatus
from newsmon.pipeline import deliver
from newsmon.slack import Cause, Kind, SlackFailure, SlackWebhookSender, SlackWebSender
from tests.support.delivery import config_path, context, queue_alerts
from tests.support.fake_slack import PROXY_502, FakeSlack, Scripted
from tests.unit.test_alerts import job

OUTAGES = {
    "503 service_unavailable": (
        Scripted(503, {"ok": False, "error": "service_unavailable"}),
        Cause.SLACK_ERROR,
    ),
    "500 internal_error": (
        Scripted(500, {"ok": False, "error": "internal_error"}),
        Cause.SLACK_ERROR,
    ),
    "200 fatal_error": (Scripted(200, {"ok": False, "error": "fatal_error"}), Cause.SLACK_ERROR),
    "200 internal_error": (
        Scripted(200, {"ok": False, "error": "internal_error"}),
        Cause.SLACK_ERROR,
    ),
    "200 request_timeout": (
        Scripted(200, {"ok": False, "error": "request_timeout"}),
        Cause.SLACK_ERROR,
    ),
    "a proxy's HTML 502": (PROXY_502, Cause.NOT_SLACK),
    "200 HTML": (
        Scripted(200, "<html>maintenance</html>", content_type="text/html"),
        Cause.NOT_SLACK,
    ),
    "200 truncated JSON": (
        Scripted(200, '{"ok": true, "ts"', content_type="application/json"),
        Cause.NOT_SLACK,
    ),
}


@pytest.mark.parametrize(("answer", "cause"), list(OUTAGES.values()), ids=list(OUTAGES))
def test_an_outage_is_not_described_as_slack_refusing_the_message(
    slack: FakeSlack, answer: Scripted, cause: Cause
) -> None:
    """Operators read "Slack refused the message" as "our message is bad": for a 503 they
    looked for a fault in the alert instead of waiting out Slack's outage."""
    slack.script.append(answer)
    with pytest.raises(SlackFailure) as err:
        SlackWebSender(slack.token, base_url=slack.api_url).post(build_message(job()))
    assert "refused" not in str(err.value)
    assert err.value.kind is Kind.TRANSIENT and err.value.cause is cause
    if answer.status != 200:
        assert f"HTTP {answer.status}" in str(err.value)
    if isinstance(answer.body, dict):
        assert answer.body["error"] in str(err.value) and err.value.code == answer.body["error"]


@pytest.mark.parametrize(
    "answer",
    [Scripted(503, "service_unavailable"), Scripted(500, "internal_error"), PROXY_502],
    ids=["503 code", "500 code", "HTML 502"],
)
def test_a_webhook_outage_is_not_described_as_a_refusal(slack: FakeSlack, answer: Scripted) -> None:
    slack.script.append(answer)
    with pytest.raises(SlackFailure) as err:
        SlackWebhookSender(slack.webhook_url).post(build_message(job()))
    assert "refused" not in str(err.value)
    assert err.value.kind is Kind.TRANSIENT and err.value.maybe_posted
    assert err.value.cause in (Cause.SLACK_ERROR, Cause.NOT_SLACK)


def test_a_refusal_is_still_a_refusal(slack: FakeSlack) -> None:
    slack.not_in_channels.add("#ai-open-source")
    with pytest.raises(SlackFailure) as err:
        SlackWebSender(slack.token, base_url=slack.api_url).post(build_message(job()))
    assert err.value.kind is Kind.CHANNEL and err.value.cause is Cause.REFUSED
    assert "Slack refused the message: not_in_channel" in str(err.value)


def _never_left(slack: FakeSlack, how: str) -> str:
    """A Web API URL the request cannot reach: TLS spoken to a plain HTTP server (the handshake
    fails), or a host no DNS resolves (`.invalid`, RFC 6761)."""
    if how == "tls":
        return f"https://127.0.0.1:{slack.port}/api/"
    return "http://newsmon-slack.invalid/api/"


@pytest.mark.parametrize("how", ["tls", "dns"])
def test_a_post_that_never_left_is_not_taken_for_one_that_may_have_been_posted(
    slack: FakeSlack, how: str
) -> None:
    """A failed TLS handshake or name lookup sends nothing: flagging the post as perhaps taken
    made delivery look it up before every retry, and, where the history cannot be read, hold a
    story Slack never saw, then post it "unchecked (may show twice)"."""
    sender = SlackWebSender(slack.token, base_url=_never_left(slack, how), timeout=3)
    with pytest.raises(SlackFailure) as err:
        sender.post(build_message(job()))
    assert not err.value.maybe_posted
    assert err.value.kind is Kind.TRANSIENT and err.value.cause is Cause.UNREACHABLE
    assert slack.token not in str(err.value)


def test_a_post_whose_answer_was_lost_may_have_been_posted(slack: FakeSlack) -> None:
    slack.delay_after = 3
    sender = SlackWebSender(slack.token, base_url=slack.api_url, timeout=1)
    with pytest.raises(SlackFailure) as err:
        sender.post(build_message(job()))
    assert err.value.maybe_posted and err.value.cause is Cause.ANSWER_LOST
    assert len(slack.posts) == 1


def test_a_tls_failure_is_retried_without_a_lookup_or_a_hold(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    """The alert of a post that never left goes out at the next pass, not looked up first (a
    bot without history scopes held it for `unchecked_post_after_minutes`)."""
    config = config_path(tmp_path, sqlite_url, retry_delays_minutes=[0])
    ctx = context(config, fake)
    try:
        [alert] = queue_alerts(ctx.store, {"#a": 1})
        fake.channel_id("#a")
        good = ctx.secrets
        ctx.secrets = type(good)(slack_bot_token=fake.token, slack_api_url=_never_left(fake, "tls"))
        first = deliver(ctx)
        assert first.retrying == 1 and first.sent == 0
        [row] = ctx.store.list_alerts()
        assert row.status is AlertStatus.PENDING and row.attempts == 1
        ctx.secrets = good
        fake.read_outage = Scripted(503, {"ok": False, "error": "service_unavailable"})
        second = deliver(ctx)
        assert second.sent == 1 and second.held == 0 and fake.metadata_ids() == [str(alert)]
        assert not [a for a in fake.attempts if a["path"] == "/api/conversations.history"]
    finally:
        ctx.close()


@pytest.mark.parametrize(
    "body",
    ["<html><body>Please log in to the network</body></html>", "", '{"ok": false}'],
    ids=["a captive portal's page", "empty", "JSON"],
)
def test_a_webhook_200_that_is_not_slacks_ok_is_not_taken_for_a_post(
    slack: FakeSlack, body: str
) -> None:
    """Slack answers an accepted webhook post `ok`, nothing else. A proxy or captive portal
    answering 200 with its own page was recorded as sent: the story was never posted, and no
    retry, error or health problem said so."""
    slack.script.append(Scripted(200, body, content_type="text/html"))
    with pytest.raises(SlackFailure) as err:
        SlackWebhookSender(slack.webhook_url).post(build_message(job()))
    assert err.value.kind is Kind.TRANSIENT and err.value.cause is Cause.NOT_SLACK
    assert err.value.maybe_posted and "refused" not in str(err.value)
    assert slack.posts == []


def test_a_webhook_post_answered_by_a_captive_portal_is_retried(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack
) -> None:
    config = config_path(tmp_path, sqlite_url, retry_delays_minutes=[0])
    ctx = context(config, fake, webhook=True)
    try:
        queue_alerts(ctx.store, {"#a": 1})
        fake.script.append(Scripted(200, "<html>log in</html>", content_type="text/html"))
        first = deliver(ctx)
        assert first.sent == 0 and first.retrying == 1
        assert deliver(ctx).sent == 1 and len(fake.posts) == 1
        [row] = ctx.store.list_alerts()
        assert row.status is AlertStatus.SENT
    finally:
        ctx.close()


@pytest.fixture
def stalled_tls() -> Iterator[int]:
    """A port whose server accepts the connection, then answers the TLS handshake a byte at a
    time (a record announcing 16 KB): each byte within the socket timeout, the handshake never
    done — a middlebox stalling the connection before any request goes out."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):  # closed: the test is over
            conn, _ = server.accept()
            with conn:
                for byte in b"\x16\x03\x03\x40\x00" + b"\x02" * 100:
                    if stop.wait(0.2):
                        return
                    conn.sendall(bytes([byte]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        server.close()


@pytest.mark.parametrize("webhook", [False, True], ids=["web api", "webhook"])
def test_a_connection_stalled_before_the_request_left_is_not_taken_for_a_post(
    stalled_tls: int, webhook: bool
) -> None:
    """The deadline that cuts a trickled answer also cut this handshake, and was reported as a
    lost answer ("may have been posted"), though no request had been sent."""
    url = f"https://127.0.0.1:{stalled_tls}"
    sender = (
        SlackWebhookSender(f"{url}/services/T/B/secret", timeout=1)
        if webhook
        else SlackWebSender("xoxb-secret", base_url=f"{url}/api/", timeout=1)
    )
    started = time.monotonic()
    with pytest.raises(SlackFailure) as err:
        sender.post(build_message(job()))
    assert time.monotonic() - started < 3
    assert not err.value.maybe_posted
    assert err.value.kind is Kind.TRANSIENT and err.value.cause is Cause.UNREACHABLE
    assert "secret" not in str(err.value)


def test_a_post_refused_for_a_missing_scope_names_the_scope(slack: FakeSlack) -> None:
    """A token without `chat:write` stops delivery and fails the run (exit 4) with this one
    line: it said only "missing_scope", and the operator had to guess which scope to add."""
    slack.script.append(
        Scripted(
            200,
            {"ok": False, "error": "missing_scope", "needed": "chat:write", "provided": "x"},
        )
    )
    with pytest.raises(SlackFailure) as err:
        SlackWebSender(slack.token, base_url=slack.api_url).post(build_message(job()))
    assert err.value.kind is Kind.CREDENTIAL and err.value.code == "missing_scope"
    assert "needs chat:write" in str(err.value)


def test_a_read_outage_is_not_blamed_on_a_message(slack: FakeSlack) -> None:
    message = build_message(job())
    assert message.marker is not None
    slack.channel_id("#ai-open-source")
    slack.read_outage = Scripted(503, {"ok": False, "error": "service_unavailable"})
    with pytest.raises(SlackFailure) as err:
        SlackWebSender(slack.token, base_url=slack.api_url).find(
            "#ai-open-source", message.marker, datetime.now(UTC)
        )
    assert err.value.kind is Kind.TRANSIENT and err.value.cause is Cause.SLACK_ERROR
    assert "refused" not in str(err.value) and "message" not in str(err.value)


PROXY_429 = "<html><head><title>429 Too Many Requests</title></head><body>slow down</body></html>"


@pytest.mark.parametrize("webhook", [False, True], ids=["web api", "webhook"])
@pytest.mark.parametrize("wait", ["7", None], ids=["Retry-After", "no Retry-After"])
def test_a_proxys_429_page_is_read_as_rate_limiting(
    slack: FakeSlack, webhook: bool, wait: str | None
) -> None:
    """A proxy's HTML 429 read "no answer from Slack to the message: HTTP 429, not a Slack
    answer": an operator looked for an outage, though something only asked to slow down."""
    headers = {"Retry-After": wait} if wait else {}
    slack.script.append(Scripted(429, PROXY_429, headers, content_type="text/html"))
    sender = (
        SlackWebhookSender(slack.webhook_url)
        if webhook
        else SlackWebSender(slack.token, base_url=slack.api_url)
    )
    with pytest.raises(SlackFailure) as err:
        sender.post(build_message(job()))
    assert err.value.kind is Kind.RATE_LIMITED and err.value.cause is Cause.RATE_LIMITED
    assert err.value.retry_after == (7.0 if wait else 1.0)
    assert "rate limit" in str(err.value) and "no answer" not in str(err.value)
    assert "refused" not in str(err.value) and "not Slack's" in str(err.value)


def test_slacks_own_rate_limit_is_not_called_a_refusal(slack: FakeSlack) -> None:
    slack.script.append(Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}))
    with pytest.raises(SlackFailure) as err:
        SlackWebSender(slack.token, base_url=slack.api_url).post(build_message(job()))
    assert err.value.cause is Cause.RATE_LIMITED and err.value.retry_after == 7.0
    assert "Slack is rate limiting the message: ratelimited" in str(err.value)


def _closed_port() -> int:
    """A loopback port nothing listens on: every connection is refused, nothing is sent."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("reachable", [False, True], ids=["unreachable", "503"])
def test_a_stop_for_slack_out_of_reach_says_so(
    tmp_path: Path, sqlite_url: str, fake: FakeSlack, reachable: bool
) -> None:
    """Delivery stopped with "Slack failed 3 times in a row" when no request ever reached Slack
    (DNS, no route, a refused connection): the operator read Slack's outage, not their network."""
    config = config_path(tmp_path, sqlite_url, retry_delays_minutes=[0])
    ctx = context(config, fake)
    try:
        queue_alerts(ctx.store, {"#a": 2, "#b": 2})
        if reachable:
            fake.outage = Scripted(503, {"ok": False, "error": "service_unavailable"})
        else:
            url = f"http://127.0.0.1:{_closed_port()}/api/"
            ctx.secrets = type(ctx.secrets)(slack_bot_token=fake.token, slack_api_url=url)
        outcome = deliver(ctx)
        assert outcome.retrying == 3 and outcome.deferred == 1
        [stop] = [e for e in outcome.errors if "times in a row" in e]
        if reachable:
            assert stop.startswith("Slack failed 3 times in a row")
        else:
            assert stop.startswith("Slack could not be reached 3 times in a row")
            assert "failed" not in stop
    finally:
        ctx.close()


@pytest.mark.parametrize("channel", ["C0123456789", "#ai-open-source"], ids=["history", "list"])
@pytest.mark.parametrize("how", ["refused", "too slow"])
def test_a_failed_read_says_what_went_wrong(slack: FakeSlack, channel: str, how: str) -> None:
    """A lookup that could not be made read "cannot read the channel history: URLError" (or
    "AnswerFailed"), naming no cause: the operator could not tell no route from a slow Slack."""
    message = build_message(job())
    assert message.marker is not None
    if how == "refused":
        url = f"http://127.0.0.1:{_closed_port()}/api/"
    else:
        slack.delay_reads, url = 1.5, slack.api_url
    sender = SlackWebSender(slack.token, base_url=url, timeout=1)
    with pytest.raises(SlackFailure) as err:
        sender.find(channel, message.marker, datetime.now(UTC))
    said = str(err.value)
    assert err.value.kind is Kind.TRANSIENT and not err.value.maybe_posted
    if how == "refused":
        assert err.value.cause is Cause.UNREACHABLE and "Connection refused" in said
    else:
        assert err.value.cause is Cause.ANSWER_LOST and "longer than 1s" in said
    assert "posted" not in said and slack.token not in said
