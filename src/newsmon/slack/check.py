"""`newsmon slack check`: whether the bot can post to every channel the configuration posts to,
asked of Slack before a message is owed, without posting anything.

`auth.test` says who the bot is (and, in the `x-oauth-scopes` header Slack sends with every
answer, which scopes it holds); each channel named by ID is looked up with `conversations.info`,
names are resolved through `conversations.list` (public and private channels, archived ones
included, at most `LIST_PAGES` pages of 200). Slack's facts (`is_archived`, `is_member`,
`is_private`) or its refusal give each channel one `Verdict` (`judge`, pure); the verdicts give
one `Outcome` (`outcome`, pure), which the command turns into its exit status. A check Slack
refuses for want of a read scope says so (`CANNOT_CHECK`, naming the scope) instead of guessing.

The check has one time limit in all (`deadline`, `--timeout`): each read's timeout is cut to the
time left, a `Retry-After` is waited out only while it ends within it, and what is still unasked
when it runs out is `TIMED_OUT`. A channel the delivery can post to but whose history the token
cannot read (a lost post's look-up) gets a `Caveat`, a warning that does not fail the check.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from newsmon.alerts import route
from newsmon.channels import is_channel_id
from newsmon.config import SlackConfig
from newsmon.slack.errors import Cause, Kind, SlackFailure
from newsmon.slack.failures import api_failure, network_failure, redacted
from newsmon.slack.senders import web_client
from newsmon.slack.transport import BoundedWebClient

LIST_PAGES = 50  # conversations.list pages of 200 read at most: 10,000 channels
PAGE_SIZE = 200  # Slack recommends at most 200 a page
NOT_LISTED = "not_listed"  # a name not among the channels listed within LIST_PAGES
PRIVATE_UNSEEN = "private_unseen"  # a name not among public channels; private need groups:read
TIME_LIMIT = "time_limit"  # the check's time limit ran out before Slack was asked or answered
DEADLINE = 120.0  # seconds in all, by default: Slack answers a read within one
MAX_WAITS = 5  # Retry-After waits for one read; then it is left unanswered


class Verdict(StrEnum):
    """Whether a message owed to a channel would go out."""

    POSTABLE = "postable"
    NOT_IN_CHANNEL = "not_in_channel"  # the bot is not a member (and cannot post to non-members)
    ARCHIVED = "archived"
    NOT_FOUND = "not_found"  # no such channel, or a private one the bot is not in
    NO_POST_SCOPE = "no_post_scope"  # the token lacks chat:write: every post is refused
    CANNOT_CHECK = "cannot_check"  # Slack refused the look-up itself (a read scope missing)
    UNANSWERED = "unanswered"  # Slack failing or asking to wait: try again later
    TIMED_OUT = "timed_out"  # the check's time limit ran out before Slack answered for it


REFUSED = frozenset(
    {
        Verdict.NOT_IN_CHANNEL,
        Verdict.ARCHIVED,
        Verdict.NOT_FOUND,
        Verdict.NO_POST_SCOPE,
        Verdict.CANNOT_CHECK,
    }
)


class Caveat(StrEnum):
    """A warning about a channel the delivery can use, which does not fail the check."""

    # a post whose answer is lost cannot be looked up: held, then posted unchecked (maybe twice)
    HISTORY_UNREADABLE = "history_unreadable"


class Access(StrEnum):
    """What `auth.test` said of the token."""

    OK = "ok"
    REFUSED = "refused"  # invalid_auth, token_revoked, a malformed token or URL
    UNTRUSTED = "untrusted"  # Slack's (or a proxy's) TLS certificate is not accepted
    UNREACHABLE = "unreachable"  # no connection, 5xx, an answer not Slack's, rate limited


class Outcome(StrEnum):
    """The check as a whole; the command's exit status follows it."""

    ALL_POSTABLE = "all_postable"
    CHANNELS_REFUSED = "channels_refused"  # some channel cannot be posted to, or checked
    TOKEN_REFUSED = "token_refused"
    UNTRUSTED = "untrusted"  # the certificate, not the token: SSL_CERT_FILE, a proxy
    UNREACHABLE = "unreachable"  # Slack could not answer (the token, or some channel)


@dataclass(frozen=True)
class Facts:
    """What Slack said about one channel: its description, or why it gave none."""

    channel_id: str | None = None
    name: str | None = None
    archived: bool = False
    member: bool = False
    private: bool = False
    error: str | None = None  # Slack's code (channel_not_found, missing_scope, …) or ours
    needed: str | None = None  # missing_scope's `needed`
    transient: bool = False  # Slack failing or rate limited: nothing is known
    wait: float | None = None  # the Retry-After Slack asked for, when it was not waited out

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Facts:
        return cls(
            channel_id=str(item.get("id") or "") or None,
            name=str(item.get("name") or "") or None,
            archived=bool(item.get("is_archived")),
            member=bool(item.get("is_member")),
            private=bool(item.get("is_private")),
        )


@dataclass(frozen=True)
class ChannelCheck:
    channel: str
    uses: tuple[str, ...]
    verdict: Verdict
    reason: str
    caveat: tuple[Caveat, str] | None = None  # a warning and its reason

    def line(self) -> str:
        return f"{self.channel}  [{'; '.join(self.uses)}]  {self.verdict}: {self.reason}"

    def warning(self) -> str | None:
        if self.caveat is None:
            return None
        return f"warning {self.caveat[0]} {self.channel}: {self.caveat[1]}"


@dataclass(frozen=True)
class Identity:
    user: str
    user_id: str
    team: str
    team_id: str
    url: str
    scopes: frozenset[str] | None  # None: Slack did not say

    def lines(self) -> list[str]:
        shown = ", ".join(sorted(self.scopes)) if self.scopes is not None else "not reported"
        return [
            f"bot {self.user} ({self.user_id}) in workspace {self.team} ({self.team_id}, "
            f"{self.url})",
            f"scopes: {shown}",
        ]


@dataclass
class Report:
    access: Access
    reason: str = ""
    identity: Identity | None = None
    channels: list[ChannelCheck] = field(default_factory=list)
    limit: float = DEADLINE  # the time limit the check ran under, to name it

    @property
    def outcome(self) -> Outcome:
        return outcome(self.access, [c.verdict for c in self.channels])

    def lines(self) -> list[str]:
        if self.access is Access.REFUSED:
            return [f"Slack refused the token: {self.reason}"]
        if self.access is Access.UNTRUSTED:  # the token was never sent: it may be good
            return [f"the token was not checked: {self.reason}"]
        if self.access is Access.UNREACHABLE:
            return [f"Slack did not answer about the token, try again later: {self.reason}"]
        out = self.identity.lines() if self.identity else []
        out += [c.line() for c in self.channels]
        warnings = [w for w in (c.warning() for c in self.channels) if w]
        out += warnings
        late = [c.channel for c in self.channels if c.verdict is Verdict.TIMED_OUT]
        if late:
            out.append(
                f"not checked within {self.limit:g} s (--timeout): {', '.join(late)}; "
                "Slack answered slowly or asked to wait"
            )
        good = sum(c.verdict is Verdict.POSTABLE for c in self.channels)
        summary = f"{len(self.channels)} channel(s): {good} postable, {self.outcome}"
        out.append(summary + (f", {len(warnings)} warning(s)" if warnings else ""))
        return out


def channel_uses(topics: Iterable[str], slack: SlackConfig) -> dict[str, tuple[str, ...]]:
    """Channel → what posts there: the topics routed to it (alerts, their thread replies and
    the channel's digest) and the health notices of `slack.ops_channel`. A default channel no
    topic falls back to receives nothing and is not listed."""
    uses: dict[str, list[str]] = {}
    for channel, routed in route(topics, slack).items():
        uses.setdefault(channel, []).append(f"alerts and digests of {', '.join(routed)}")
    if slack.ops_channel:
        uses.setdefault(slack.ops_channel, []).append("health notices")
    return {c: tuple(u) for c, u in sorted(uses.items())}


def judge(facts: Facts, scopes: frozenset[str] | None) -> tuple[Verdict, str]:
    """A channel's verdict and the reason, from Slack's facts and the token's scopes (None:
    unknown, when Slack sent no `x-oauth-scopes`: membership alone decides)."""
    if facts.error == TIME_LIMIT:
        return Verdict.TIMED_OUT, "not checked: the check's time limit ran out"
    if facts.transient and facts.wait is not None:
        return Verdict.UNANSWERED, (
            f"Slack asked to wait {facts.wait:g} s ({facts.error}), not waited within the "
            "check's time limit: try again later (or raise --timeout)"
        )
    if facts.transient:
        return Verdict.UNANSWERED, f"Slack did not answer ({facts.error}): try again later"
    if facts.error == "missing_scope":
        return Verdict.CANNOT_CHECK, f"cannot check: needs {facts.needed or 'channels:read'}"
    if facts.error == NOT_LISTED:
        return Verdict.CANNOT_CHECK, (
            f"cannot check: not among the first {LIST_PAGES * PAGE_SIZE} channels listed "
            "(configure the channel's ID)"
        )
    if facts.error == PRIVATE_UNSEEN:
        return Verdict.CANNOT_CHECK, (
            "cannot check: no public channel has this name, and private ones need groups:read"
        )
    if facts.error == "channel_not_found":
        return Verdict.NOT_FOUND, (
            "channel_not_found: no such channel, or a private one the bot is not in"
        )
    if facts.error:
        return Verdict.CANNOT_CHECK, f"cannot check: Slack answered {facts.error}"
    if facts.archived:
        return Verdict.ARCHIVED, "is_archived: unarchive it or configure another channel"
    if scopes is not None and "chat:write" not in scopes:
        return Verdict.NO_POST_SCOPE, "missing_scope: the token needs chat:write to post"
    if facts.member:
        return Verdict.POSTABLE, "the bot is a member"
    if not facts.private and scopes is not None and "chat:write.public" in scopes:
        return Verdict.POSTABLE, "not a member; chat:write.public posts to public channels"
    return Verdict.NOT_IN_CHANNEL, "not_in_channel: invite the bot to the channel"


def caveat(facts: Facts, scopes: frozenset[str] | None) -> tuple[Caveat, str] | None:
    """A warning for a channel Slack described: the history scope the delivery's look-up of a
    lost post needs there (`SlackWebSender.find`), when Slack named the token's scopes."""
    if facts.error or scopes is None:
        return None
    needed = "groups:history" if facts.private else "channels:history"
    if needed in scopes:
        return None
    return Caveat.HISTORY_UNREADABLE, (
        f"a post whose answer is lost cannot be looked up (needs {needed}): it is held, then "
        "posted unchecked and may show twice"
    )


def outcome(access: Access, verdicts: Iterable[Verdict]) -> Outcome:
    """A refused token first, then Slack unreachable for it; then a channel that cannot be
    posted to (or checked) before one Slack did not answer for."""
    if access is Access.REFUSED:
        return Outcome.TOKEN_REFUSED
    if access is Access.UNTRUSTED:
        return Outcome.UNTRUSTED
    if access is Access.UNREACHABLE:
        return Outcome.UNREACHABLE
    seen = set(verdicts)
    if seen & REFUSED:
        return Outcome.CHANNELS_REFUSED
    if seen & {Verdict.UNANSWERED, Verdict.TIMED_OUT}:
        return Outcome.UNREACHABLE
    return Outcome.ALL_POSTABLE


def scopes_of(headers: Mapping[str, Any] | None) -> frozenset[str] | None:
    """The token's scopes from Slack's `x-oauth-scopes` header (any case), None without it."""
    for key, value in (headers or {}).items():
        if key.lower() == "x-oauth-scopes":
            raw = value[0] if isinstance(value, list) and value else value
            return frozenset(s.strip() for s in str(raw).split(",") if s.strip())
    return None


class _Refused(Exception):
    """A read Slack refused or could not answer: its code, `needed`, and whether it may pass."""

    def __init__(self, failure: SlackFailure, needed: str | None = None) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.needed = needed

    @property
    def transient(self) -> bool:
        return self.failure.kind in (Kind.TRANSIENT, Kind.RATE_LIMITED)

    def facts(self) -> Facts:
        code = self.failure.code or str(self.failure)
        wait = self.failure.retry_after if self.failure.kind is Kind.RATE_LIMITED else None
        return Facts(error=code, needed=self.needed, transient=self.transient, wait=wait)


class _TimedOut(Exception):
    """The check's time limit ran out before this read was answered (or asked)."""

    def facts(self) -> Facts:
        return Facts(error=TIME_LIMIT)


class _Reader:
    """Reads within one time limit in all: each read's timeout cut to the time left; a failing
    read tried once more and a `Retry-After` waited out (up to `MAX_WAITS` times) while time
    is left. slack_sdk's own retry handlers are off: they would sleep past the limit."""

    def __init__(self, client: BoundedWebClient, timeout: float, seconds: float) -> None:
        self.client = client
        self.timeout = int(max(1, timeout))
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def __call__(self, what: str, call: Callable[[], Any]) -> Any:
        waits, retried = 0, False
        while True:
            if self.left() <= 0:
                raise _TimedOut()
            self.client.timeout = max(1, min(self.timeout, math.ceil(self.left())))
            try:
                return _once(what, call)
            except _Refused as exc:
                kind = exc.failure.kind
                wait = (exc.failure.retry_after or 0.0) if kind is Kind.RATE_LIMITED else 0.5
                if kind is Kind.RATE_LIMITED and waits < MAX_WAITS and wait < self.left():
                    waits += 1
                elif kind is Kind.TRANSIENT and not retried and self.left() > wait:
                    retried = True
                elif kind is Kind.TRANSIENT and self.left() <= 0:
                    raise _TimedOut() from None  # cut off by the limit, not Slack failing
                else:
                    raise
            time.sleep(wait)


def _once(what: str, call: Callable[[], Any]) -> Any:
    """One read; every failure as `_Refused`, never quoting the token."""
    try:
        return call()
    except SlackApiError as exc:
        needed = (
            exc.response.get("needed") if exc.response.get("error") == "missing_scope" else None
        )
        raise _Refused(api_failure(exc, what), str(needed)[:100] if needed else None) from None
    except OSError as exc:
        raise _Refused(network_failure(exc, what)) from None
    except SlackClientError as exc:
        failure = SlackFailure(f"Slack client error: {type(exc).__name__}", Kind.TRANSIENT)
        raise _Refused(failure) from None
    except Exception as exc:  # never the text: it may quote the token or URL
        raise _Refused(redacted(exc)) from None


def check(
    token: str,
    uses: Mapping[str, tuple[str, ...]],
    *,
    base_url: str | None = None,
    timeout: float = 15.0,
    pages: int = LIST_PAGES,
    deadline: float = DEADLINE,
) -> Report:
    """Ask Slack about the token and every channel in `uses`, within `deadline` seconds in all
    (each read within `timeout`); posts nothing."""
    client = web_client(token, base_url=base_url, timeout=timeout, reads=False)
    read = _Reader(client, timeout, deadline)
    try:
        me = read("auth.test", client.auth_test)
    except _Refused as exc:
        access = _access(exc.failure)
        return Report(access, str(exc.failure), limit=deadline)
    except _TimedOut:
        reason = f"no answer to auth.test within the check's time limit ({deadline:g} s)"
        return Report(Access.UNREACHABLE, reason, limit=deadline)
    user, user_id, team, team_id, url = (
        str(me.get(k) or "?") for k in ("user", "user_id", "team", "team_id", "url")
    )
    identity = Identity(user, user_id, team, team_id, url, scopes_of(me.headers))
    names = [c for c in uses if not is_channel_id(c)]
    facts = _by_name(read, names, pages) if names else {}
    for channel in uses:
        if is_channel_id(channel):
            facts[channel] = _by_id(read, channel)
    report = Report(Access.OK, identity=identity, limit=deadline)
    for channel, used in uses.items():
        verdict, reason = judge(facts[channel], identity.scopes)
        warning = caveat(facts[channel], identity.scopes)
        report.channels.append(ChannelCheck(channel, used, verdict, reason, warning))
    return report


def _access(failure: SlackFailure) -> Access:
    """What a failed `auth.test` says of the token: a certificate not accepted says nothing
    (the token was never sent), and was read as "Slack refused the token"."""
    if failure.cause is Cause.UNTRUSTED:
        return Access.UNTRUSTED
    return Access.REFUSED if failure.kind is Kind.CREDENTIAL else Access.UNREACHABLE


def _by_id(read: _Reader, channel: str) -> Facts:
    client = read.client
    try:
        answer = read("conversations.info", lambda: client.conversations_info(channel=channel))
    except (_Refused, _TimedOut) as exc:
        return exc.facts()
    return Facts.of(answer.get("channel") or {})


def _by_name(read: _Reader, names: list[str], pages: int) -> dict[str, Facts]:
    """The channels named, from `conversations.list`: public and private (`groups:read`), or
    public only when the token lacks `groups:read`. Stops once every name is found, or after
    `pages` pages; a name still unseen then is `NOT_LISTED`."""
    wanted = {n: n.lstrip("#") for n in names}
    types = "public_channel,private_channel"
    found: dict[str, Facts] = {}
    cursor: str | None = None
    done = 0
    while done < pages:
        try:
            page = read("conversations.list", _lister(read.client, types, cursor))
        except _TimedOut as exc:
            return {n: found.get(bare) or exc.facts() for n, bare in wanted.items()}
        except _Refused as exc:
            if exc.failure.code == "missing_scope" and "," in types and done == 0:
                types = "public_channel"  # no groups:read: public channels can still be seen
                continue
            return {n: found.get(bare) or exc.facts() for n, bare in wanted.items()}
        done += 1
        for item in page.get("channels") or []:
            if isinstance(item, dict) and item.get("name") in wanted.values():
                found.setdefault(str(item["name"]), Facts.of(item))
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor or all(bare in found for bare in wanted.values()):
            break
    missing = Facts(error="channel_not_found")
    if cursor and done >= pages:
        missing = Facts(error=NOT_LISTED)
    elif "," not in types:
        missing = Facts(error=PRIVATE_UNSEEN)
    return {n: found.get(bare) or missing for n, bare in wanted.items()}


def _lister(client: Any, types: str, cursor: str | None) -> Callable[[], Any]:
    """One page of `conversations.list`, archived channels included (they refuse posts)."""
    return lambda: client.conversations_list(
        types=types, exclude_archived=False, limit=PAGE_SIZE, cursor=cursor
    )
