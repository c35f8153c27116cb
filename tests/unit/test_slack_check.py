"""The verdicts of `newsmon slack check` (pure): what Slack's facts about a channel and the
token's scopes mean for a message owed there, and what the verdicts mean for the exit status."""

from __future__ import annotations

import pytest

from newsmon.config import SlackConfig
from newsmon.slack.check import (
    LIST_PAGES,
    NOT_LISTED,
    PAGE_SIZE,
    PRIVATE_UNSEEN,
    TIME_LIMIT,
    Access,
    Caveat,
    Facts,
    Outcome,
    Verdict,
    caveat,
    channel_uses,
    judge,
    outcome,
    scopes_of,
)

POSTING = frozenset({"chat:write", "channels:read", "groups:read"})
MEMBER = Facts(channel_id="C1", name="ai-news", member=True)
OUTSIDER = Facts(channel_id="C2", name="ai-policy", member=False)


@pytest.mark.parametrize(
    ("facts", "scopes", "verdict", "words"),
    [
        (MEMBER, POSTING, Verdict.POSTABLE, "member"),
        (MEMBER, None, Verdict.POSTABLE, "member"),  # Slack named no scopes: membership decides
        (OUTSIDER, POSTING, Verdict.NOT_IN_CHANNEL, "not_in_channel"),
        (OUTSIDER, None, Verdict.NOT_IN_CHANNEL, "not_in_channel"),
        (OUTSIDER, POSTING | {"chat:write.public"}, Verdict.POSTABLE, "chat:write.public"),
        # chat:write.public reaches public channels only
        (
            Facts(channel_id="G1", private=True),
            POSTING | {"chat:write.public"},
            Verdict.NOT_IN_CHANNEL,
            "not_in_channel",
        ),
        (Facts(channel_id="C3", member=True, archived=True), POSTING, Verdict.ARCHIVED, "archived"),
        (MEMBER, frozenset({"channels:read"}), Verdict.NO_POST_SCOPE, "chat:write"),
        (Facts(error="channel_not_found"), POSTING, Verdict.NOT_FOUND, "channel_not_found"),
        (
            Facts(error="missing_scope", needed="channels:read"),
            frozenset({"chat:write"}),
            Verdict.CANNOT_CHECK,
            "cannot check: needs channels:read",
        ),
        (Facts(error=NOT_LISTED), POSTING, Verdict.CANNOT_CHECK, str(LIST_PAGES * PAGE_SIZE)),
        (Facts(error=PRIVATE_UNSEEN), POSTING, Verdict.CANNOT_CHECK, "groups:read"),
        (Facts(error="ratelimited", transient=True), POSTING, Verdict.UNANSWERED, "ratelimited"),
        (
            Facts(error="ratelimited", transient=True, wait=30.0),
            POSTING,
            Verdict.UNANSWERED,
            "asked to wait 30 s (ratelimited)",
        ),
        (Facts(error=TIME_LIMIT), POSTING, Verdict.TIMED_OUT, "time limit"),
    ],
)
def test_each_fact_gives_its_verdict_and_reason(
    facts: Facts, scopes: frozenset[str] | None, verdict: Verdict, words: str
) -> None:
    got, reason = judge(facts, scopes)
    assert got is verdict
    assert words in reason


def test_a_refused_channel_decides_before_one_slack_did_not_answer_for() -> None:
    """A channel that will refuse every message is the operator's to fix now; one Slack did
    not answer for may be fine on a second try: the first is the exit status."""
    assert outcome(Access.OK, [Verdict.POSTABLE, Verdict.POSTABLE]) is Outcome.ALL_POSTABLE
    assert outcome(Access.OK, []) is Outcome.ALL_POSTABLE
    assert outcome(Access.OK, [Verdict.POSTABLE, Verdict.UNANSWERED]) is Outcome.UNREACHABLE
    assert outcome(Access.OK, [Verdict.POSTABLE, Verdict.TIMED_OUT]) is Outcome.UNREACHABLE
    for refused in (
        Verdict.NOT_IN_CHANNEL,
        Verdict.ARCHIVED,
        Verdict.NOT_FOUND,
        Verdict.NO_POST_SCOPE,
        Verdict.CANNOT_CHECK,
    ):
        assert outcome(Access.OK, [Verdict.UNANSWERED, refused]) is Outcome.CHANNELS_REFUSED
    assert outcome(Access.REFUSED, []) is Outcome.TOKEN_REFUSED
    assert outcome(Access.UNREACHABLE, []) is Outcome.UNREACHABLE


def test_scopes_come_from_slacks_header_in_any_case() -> None:
    assert scopes_of({"X-OAuth-Scopes": "chat:write, channels:read"}) == {
        "chat:write",
        "channels:read",
    }
    assert scopes_of({"x-oauth-scopes": ["chat:write"]}) == {"chat:write"}
    assert scopes_of({"content-type": "application/json"}) is None
    assert scopes_of(None) is None


def test_uses_name_each_channel_that_gets_messages_and_why() -> None:
    """Topics share a channel; the default channel is listed only when a topic falls back to
    it; the operations channel is listed for its notices, with the topics it also gets."""
    slack = SlackConfig(
        channels={"open-source": "#oss", "policy": "#oss"},
        default_channel="#ai-news",
        ops_channel="#ops",
    )
    uses = channel_uses(["open-source", "policy", "ai-safety"], slack)
    assert uses == {
        "#ai-news": ("alerts and digests of ai-safety",),
        "#oss": ("alerts and digests of open-source, policy",),
        "#ops": ("health notices",),
    }
    every = SlackConfig(channels={"policy": "#ops"}, default_channel="#ai-news", ops_channel="#ops")
    assert channel_uses(["policy"], every) == {
        "#ops": ("alerts and digests of policy", "health notices")
    }


def test_a_history_scope_missing_is_a_caveat_for_the_channels_it_concerns() -> None:
    """The delivery reads a public channel's history with channels:history, a private one's
    with groups:history; unknown scopes or an unknown channel warn of nothing."""
    public = Facts(channel_id="C1", name="ai-news", member=True)
    private = Facts(channel_id="G1", name="ops", member=True, private=True)
    posting = POSTING | {"channels:history"}
    assert caveat(public, posting) is None
    warned = caveat(private, posting)
    assert warned is not None and warned[0] is Caveat.HISTORY_UNREADABLE
    assert "groups:history" in warned[1]
    assert caveat(private, posting | {"groups:history"}) is None
    lacking = caveat(public, POSTING)
    assert lacking is not None and "channels:history" in lacking[1]
    assert caveat(public, None) is None
    assert caveat(Facts(error="channel_not_found"), POSTING) is None
