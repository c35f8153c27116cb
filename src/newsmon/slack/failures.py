"""What a failure of slack_sdk or of the network means, as one `SlackFailure`: Slack's own
refusals (`api_failure`), a request that never reached Slack or whose answer was lost
(`network_failure`), a certificate not accepted (`untrusted`), and anything else named by its
type only (`redacted`). Shared by the senders and `slack check`; wording per `Cause` is in
`newsmon.slack.errors.describe`."""

from __future__ import annotations

import ssl
from urllib.error import URLError

from slack_sdk.errors import SlackApiError

from newsmon.slack.errors import (
    Cause,
    CredentialError,
    Kind,
    SlackFailure,
    cause_of,
    classify,
    describe,
    is_code,
    retry_after,
)


def api_failure(exc: SlackApiError, what: str) -> SlackFailure:
    status = int(exc.response.status_code)
    raw = str(exc.response.get("error") or "")
    code = raw if is_code(raw) else None
    kind, maybe = classify(status, code)
    cause = cause_of(status, code)
    headers: dict[str, object] = dict(exc.response.headers or {})
    needed = str(exc.response.get("needed") or "")[:100] if code == "missing_scope" else ""
    return SlackFailure(
        describe(cause, what, status, code) + (f", needs {needed}" if needed else ""),
        kind,
        retry_after=retry_after(headers) if kind is Kind.RATE_LIMITED else None,
        maybe_posted=maybe,
        code=code,
        cause=cause,
    )


def redacted(exc: Exception) -> SlackFailure:
    """An unexpected client error, named by its type only: urllib and http.client quote the
    URL or the Authorization header they refuse, and those are secrets. A malformed token or
    URL never heals by itself, so it counts as a credential failure (the run fails)."""
    return CredentialError(
        f"Slack client error: {type(exc).__name__} (details withheld: they may hold a secret; "
        "check SLACK_BOT_TOKEN, SLACK_WEBHOOK_URL and NEWSMON_SLACK_API_URL)"
    )


def untrusted(exc: BaseException, what: str) -> SlackFailure | None:
    """A TLS certificate not accepted (an intercepting proxy's authority, another host's name,
    expired): it never heals by itself, so it is a configuration problem, told at once as a
    credential failure (the run fails, nothing is marked), not an outage retried for hours."""
    reason = getattr(exc, "reason", exc)
    if not isinstance(reason, ssl.SSLCertVerificationError):
        return None
    detail = reason.verify_message or "certificate verify failed"
    return SlackFailure(
        f"Slack's TLS certificate is not accepted for {what} (nothing was sent): {detail}; a "
        "configuration problem, not an outage: behind a TLS-inspecting proxy, name its "
        "authority in SSL_CERT_FILE",
        Kind.CREDENTIAL,
        cause=Cause.UNTRUSTED,
    )


def network_failure(exc: OSError, what: str, *, read: bool = False) -> SlackFailure:
    """urllib wraps in URLError only what fails before the request is wholly sent (DNS, a
    refused connection, the TLS handshake, a proxy's CONNECT): such a post never reached
    Slack. Anything later (a timeout, a reset, an answer broken off) may follow a post; a
    `read` posts nothing either way, and its line names what went wrong all the same."""
    if (trust := untrusted(exc, what)) is not None:
        return trust
    reason = getattr(exc, "reason", None)
    unsent = isinstance(exc, (URLError, ConnectionRefusedError))
    text = exc.strerror or reason or type(exc).__name__
    if read:
        said = f"cannot reach Slack for {what}" if unsent else f"Slack's answer to {what} was lost"
        return SlackFailure(
            f"{said}: {type(exc).__name__}: {text}",
            Kind.TRANSIENT,
            cause=Cause.UNREACHABLE if unsent else Cause.ANSWER_LOST,
        )
    if unsent:
        return SlackFailure(
            f"cannot reach Slack for {what} (nothing was sent): {type(exc).__name__}: {text}",
            Kind.TRANSIENT,
            cause=Cause.UNREACHABLE,
        )
    return SlackFailure(
        f"Slack's answer to {what} was lost (it may have been posted): "
        f"{type(exc).__name__}: {text}",
        Kind.TRANSIENT,
        maybe_posted=True,
        cause=Cause.ANSWER_LOST,
    )
