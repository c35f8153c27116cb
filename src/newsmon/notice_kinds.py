"""What the operations channel calls each kind of problem, and what it tells operators to do.

Per-kind wording apart from `newsmon.notices`, which decides when a notice is owed (and
re-exports these names).
"""

from __future__ import annotations

from newsmon.health_kinds import ProblemKind

TITLES: dict[ProblemKind, str] = {
    ProblemKind.NO_PASS: "no monitoring pass has completed",
    ProblemKind.STALE: "monitoring passes are late",
    ProblemKind.LAST_PASS_FAILED: "the last monitoring pass failed",
    ProblemKind.PASS_STUCK: "a monitoring pass is stuck",
    ProblemKind.FEED_FAILING: "feed failing",
    ProblemKind.FEED_SILENT: "feed silent",
    ProblemKind.PAGES_UNREAD: "article pages cannot be read",
    ProblemKind.ALERTS_STUCK: "alerts cannot be delivered",
    ProblemKind.ALERTS_FAILED: "alerts gave up, stories not posted",
    ProblemKind.INDEX_BEHIND: "near-duplicate index behind",
    ProblemKind.ENTRIES_FAILING: "feed entries failing",
    ProblemKind.NO_FEEDS: "no feed enabled",
    ProblemKind.HISTORY_UNREADABLE: "channel history cannot be read",
    ProblemKind.DIGEST_UNFINISHED: "digest not finished",
    ProblemKind.DIGEST_FAILED: "the last digest call failed",
    ProblemKind.OPS_CHANNEL_REFUSED: "Slack refuses the operations channel",
    ProblemKind.ALERTS_OFF: "alerts are off: stories are not posted",
    ProblemKind.CLOCK_OFF: "this host's clock is off",
}

HINTS: dict[ProblemKind, str] = {
    ProblemKind.NO_PASS: "check the Prefect worker and the deployment; `newsmon runs`",
    ProblemKind.STALE: "check the Prefect worker and schedule; `newsmon runs`",
    ProblemKind.LAST_PASS_FAILED: "`newsmon runs` and the run's log in Prefect say why",
    ProblemKind.PASS_STUCK: "look for a hung worker in Prefect; `newsmon runs`",
    ProblemKind.FEED_FAILING: (
        "open the feed's URL; `newsmon feeds` shows its last error; disable it if it is gone"
    ),
    ProblemKind.FEED_SILENT: "check that the site still publishes there; `newsmon feeds`",
    ProblemKind.PAGES_UNREAD: (
        "the site blocks or drops downloads, or its pages no longer hold text newsmon finds "
        "(a redesign: open one of them); `newsmon feeds`"
    ),
    ProblemKind.ALERTS_STUCK: (
        "invite the bot to the channel or fix its name (`newsmon slack check` says which); "
        "each pass tries the channel again and posts them once it takes one"
    ),
    ProblemKind.ALERTS_FAILED: (
        "`newsmon alerts --status failed` lists them; once Slack takes posts, "
        "`newsmon alerts retry --failed --within {within}` re-queues them "
        "(or `newsmon alerts retry ID…` with the ids `newsmon alerts` lists: 7 for alert #7, "
        "r7 for thread reply r7)"
    ),
    ProblemKind.INDEX_BEHIND: "see the passes' warnings; `newsmon prune` clears it",
    ProblemKind.ENTRIES_FAILING: "the pass's log names the entry; `newsmon feeds`",
    ProblemKind.NO_FEEDS: "enable a feed in the configuration",
    ProblemKind.HISTORY_UNREADABLE: (
        "grant the bot channels:history (groups:history for a private channel), or configure "
        "the channel's ID"
    ),
    ProblemKind.DIGEST_UNFINISHED: (
        "the next monitoring pass finishes it once Slack takes it; `newsmon health` says why "
        "it stopped"
    ),
    ProblemKind.DIGEST_FAILED: (
        "`newsmon runs --flow digest` and the run's log in Prefect say why; the next digest "
        "call (or `newsmon digest`) covers the period from where the last digest ended"
    ),
    ProblemKind.OPS_CHANNEL_REFUSED: (
        "invite the bot to the channel, or fix `slack.ops_channel`, the token or SSL_CERT_FILE"
    ),
    ProblemKind.ALERTS_OFF: (
        "set `alerts.enabled: true` once the incident is over: the next pass posts what is "
        "pending; the backfill named above sends the stories held back meanwhile"
    ),
    ProblemKind.CLOCK_OFF: (
        "set the host's clock right and keep it synchronised (NTP: `timedatectl status`); "
        "then `newsmon backfill --since DATE… --alerts`, DATE the day it began (2025-02-17), "
        "sends the stories held back as too old meanwhile"
    ),
}
# Problems never announced in the operations channel: the channel Slack refuses is the one they
# would be announced in, and the first notice that goes through there ends them.
UNANNOUNCED = frozenset({ProblemKind.OPS_CHANNEL_REFUSED})
