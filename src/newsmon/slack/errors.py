"""What a Slack failure means for delivery: one kind per failure, and whether the message may
have been posted anyway (then it is looked up before being posted again).

- transient: 5xx, `internal_error`, timeouts, dropped connections, answers that are not Slack's
  JSON (a proxy's HTML page), unknown error codes — retried later with growing delays;
- rate limited: 429 / `ratelimited` — that channel waits `Retry-After`, no attempt counted;
- channel: the channel refuses (`not_in_channel`, `channel_not_found`, archived) — its alerts
  are held and the channel reported blocked until a later probe gets through;
- message: this message can never be posted (`invalid_blocks`, `msg_too_long`, a reply in a
  locked thread) — failed (a thread reply Slack refuses for its thread is dropped instead);
- credential: the token or webhook is refused, or Slack's TLS certificate is not accepted (a
  configuration problem, `Cause.UNTRUSTED`) — delivery stops, nothing is marked, the run fails;
- unreadable: a read (the lookup for an earlier post) is refused for lack of a read scope
  (`missing_scope`: no `channels:history`/`groups:history`), or the channel cannot be resolved:
  posting may still work. Only lookups raise it; a post's `missing_scope` is a credential failure.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum


class Kind(StrEnum):
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    CHANNEL = "channel"
    MESSAGE = "message"
    CREDENTIAL = "credential"
    UNREADABLE = "unreadable"


CREDENTIAL_CODES = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "missing_scope",
        "no_permission",
        "not_allowed_token_type",
        "team_access_not_granted",
        "org_login_required",
        "ekm_access_denied",
        "invalid_token",  # a webhook's
        "no_service",  # a removed webhook
        "no_service_id",  # a webhook URL naming no webhook
        "no_team",  # a webhook whose workspace is gone
        "team_disabled",  # a webhook whose workspace is no longer active
        "action_prohibited",
        "accesslimited",  # the workspace allows calls only from other networks
        "two_factor_setup_required",
        "enterprise_is_restricted",
        # the request's headers, the same for every call: a proxy rewriting them, an SDK too old
        "invalid_charset",
        "superfluous_charset",
        "invalid_post_type",
        "missing_post_type",
        "method_deprecated",
        "deprecated_endpoint",
    }
)
CHANNEL_CODES = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "posting_to_general_channel_denied",
        "no_active_hooks",
        "team_not_found",
        "access_denied",  # "access to a resource specified in the request": its channel
        "user_not_found",  # a webhook posting to a person no longer there
    }
)
MESSAGE_CODES = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_attachments",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_arguments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "metadata_must_be_sent_from_app",
        "cannot_reply_to_message",
        "thread_not_found",
        "restricted_action_thread_locked",  # a reply in a thread an admin locked
        "invalid_payload",
        "markdown_text_conflict",
        # this request's body: the same message is refused the same way every time
        "invalid_form_data",
        "invalid_json",
        "json_not_object",
        "invalid_arg_name",
        "invalid_array_arg",
        "as_user_not_supported",
        "duplicate_message_not_found",
        "missing_text_or_fallback_or_attachments",  # a webhook's no_text
        # chat.delete's: the message is gone already, or may not be deleted
        "message_not_found",
        "cant_delete_message",
        "compliance_exports_prevent_deletion",
    }
)


# refusals of a message's blocks alone: its text may still be posted (`delivery_items`)
BLOCKS_REFUSED_CODES = frozenset({"invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long"})
# an incoming webhook may name no blocks error for blocks it cannot take, only the body
# (`invalid_payload`) or the text it then lacks (`no_text`): a message with blocks refused so
# may still go out as text
WEBHOOK_BLOCKS_REFUSED_CODES = BLOCKS_REFUSED_CODES | {"invalid_payload", "no_text"}


class Cause(StrEnum):
    """What went wrong, as told to an operator: Slack saying no is not Slack being down."""

    REFUSED = "refused"  # Slack answered an error code about this call
    SLACK_ERROR = "slack_error"  # Slack answered that it failed itself (5xx, internal_error)
    NOT_SLACK = "not_slack"  # an answer that is not Slack's: a proxy's page, broken JSON
    UNREACHABLE = "unreachable"  # the request never left: DNS, TLS, connection refused
    ANSWER_LOST = "answer_lost"  # the request left; its answer timed out or broke off
    RATE_LIMITED = "rate_limited"  # 429 or `ratelimited`: asked to slow down, Slack or a proxy
    UNTRUSTED = "untrusted"  # TLS: Slack's certificate (or a proxy's) is not accepted
    UNKNOWN_CODE = "unknown_code"  # an error code newsmon does not know: retried, named as such


# a free workspace's message limit too: waited out like a rate limit, no attempt spent
RATE_LIMIT_CODES = frozenset({"ratelimited", "rate_limited", "message_limit_exceeded"})
# Slack's own failures: the message may have been stored before the error.
SLACK_FAULT_CODES = frozenset({"internal_error", "fatal_error", "service_unavailable"})
# Slack got the request only in part ("POST data was either missing or truncated"), or is not
# taking any for a while (a workspace or channel being migrated): not posted.
TRUNCATED_CODES = frozenset({"request_timeout", "team_added_to_org", "external_channel_migrating"})
KNOWN_CODES = (
    CREDENTIAL_CODES | CHANNEL_CODES | MESSAGE_CODES | RATE_LIMIT_CODES | SLACK_FAULT_CODES
) | TRUNCATED_CODES
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,60}$")


class SlackFailure(Exception):
    """Slack refused a call or could not be reached; the message is safe to log (no secrets)."""

    def __init__(
        self,
        message: str,
        kind: Kind,
        *,
        retry_after: float | None = None,
        maybe_posted: bool = False,
        code: str | None = None,
        cause: Cause | None = None,
        blocks_refused: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.cause = cause
        self.kind = kind
        self.retry_after = retry_after
        self.maybe_posted = maybe_posted
        self.code = code  # Slack's error code, when it answered one
        # Slack refused the message's blocks alone: nothing was posted, its text may still be
        self.blocks_refused = (
            code in BLOCKS_REFUSED_CODES if blocks_refused is None else blocks_refused
        )


class CredentialError(SlackFailure):
    """The token or webhook is refused, or Slack is required and none is set: the pass fails."""

    def __init__(self, message: str) -> None:
        super().__init__(message, Kind.CREDENTIAL)


def is_code(text: str) -> bool:
    """Whether an answer body is one of Slack's error codes rather than some page."""
    return bool(_CODE.match(text))


def classify(status: int, code: str | None) -> tuple[Kind, bool]:
    """The kind of a refusal, and whether the message may have been posted anyway.

    `code` is Slack's error code, or None when the answer was not Slack's (HTML, empty).
    """
    if status == 429 or code in RATE_LIMIT_CODES:
        return Kind.RATE_LIMITED, False
    if code in CREDENTIAL_CODES:
        return Kind.CREDENTIAL, False
    if code in CHANNEL_CODES:
        return Kind.CHANNEL, False
    if code in MESSAGE_CODES:
        return Kind.MESSAGE, False
    if code in TRUNCATED_CODES:
        return Kind.TRANSIENT, False
    if status >= 500 or code in SLACK_FAULT_CODES:
        return Kind.TRANSIENT, True
    # an unknown code, or a page from something between us and Slack: try again later
    return Kind.TRANSIENT, code is None and status == 200


def cause_of(status: int, code: str | None) -> Cause:
    """Whether Slack said no, failed itself, or did not answer at all (`code` None: the answer
    was not Slack's). A 429 is rate limiting whoever answered it: a proxy's page too."""
    if status == 429 or code in RATE_LIMIT_CODES:
        return Cause.RATE_LIMITED
    if code is None:
        return Cause.NOT_SLACK
    if code in SLACK_FAULT_CODES or code in TRUNCATED_CODES:
        return Cause.SLACK_ERROR
    if status >= 500 and code not in KNOWN_CODES:
        return Cause.SLACK_ERROR
    return Cause.REFUSED if code in KNOWN_CODES else Cause.UNKNOWN_CODE


def describe(cause: Cause, what: str, status: int, code: str | None, who: str = "Slack") -> str:
    """A refusal's line for operators: only a refusal says "refused" (read as "our message is
    at fault"); an outage says Slack failed, a proxy's page that Slack did not answer, and a
    429 (Slack's or a proxy's) that it is rate limiting."""
    if cause is Cause.RATE_LIMITED:
        said = code or f"HTTP {status}, a page that is not Slack's (a proxy's)"
        return f"{who} is rate limiting {what}: {said}"
    if cause is Cause.SLACK_ERROR:
        http = f", HTTP {status}" if status != 200 else ""
        return f"{who} failed on {what} (its own error, not a refusal): {code}{http}"
    if cause is Cause.NOT_SLACK or code is None:
        return (
            f"no answer from {who} to {what}: HTTP {status}, not a Slack answer (a proxy's or "
            "load balancer's page, or an answer cut short)"
        )
    if cause is Cause.UNKNOWN_CODE:
        return (
            f"{who} refused {what}: {code} (an error code newsmon does not know: retried as "
            "transient; look it up in Slack's API documentation)"
        )
    return f"{who} refused {what}: {code}"


MAX_RETRY_AFTER = 86400.0  # a longer wait is read as a day: the sum stays a finite time


def retry_after(
    headers: dict[str, object] | None, default: float = 1.0, now: datetime | None = None
) -> float:
    """Seconds to wait from a Retry-After header (case-insensitive), else `default`.

    HTTP allows seconds or a date; a negative number waits nothing, and anything else (``soon``,
    ``inf``, ``nan``) waits `default`. At most `MAX_RETRY_AFTER`.
    """
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            raw = str(value[0] if isinstance(value, list) and value else value).strip()
            try:
                seconds = float(raw)
            except ValueError:
                try:
                    when = parsedate_to_datetime(raw)
                except (TypeError, ValueError):
                    return default
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                seconds = (when - (now or datetime.now(UTC))).total_seconds()
            if not math.isfinite(seconds):
                return default
            return min(max(0.0, seconds), MAX_RETRY_AFTER)
    return default
