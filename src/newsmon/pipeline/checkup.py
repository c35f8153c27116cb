"""The installation's health read from its corpus: what `newsmon health` prints, and what each
monitoring pass shows in Prefect when it ends (the `newsmon-health` artifact and warnings)."""

from __future__ import annotations

from datetime import datetime

from newsmon.config import Config
from newsmon.corpus import Store
from newsmon.corpus.records import ChannelBlock, RunRecord, RunStatus, UnfinishedDigest
from newsmon.digest import RUNNING_WITHIN
from newsmon.feed_twins import configured_twins
from newsmon.health import HealthPolicy, HealthReport, IndexBacklog, assess
from newsmon.pipeline.retention import pending_prune
from newsmon.verdict import STREAK_LOOKBACK

FINISHED = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CRASHED)


def health_report(
    store: Store, config: Config, now: datetime, policy: HealthPolicy | None = None
) -> HealthReport:
    """Recent monitor runs, the enabled feeds' health, the alerts per channel (and those that
    gave up recently), what the near-duplicate index holds past its retention, whether
    Slack refuses the operations channel and which channels wait for Slack, judged."""
    policy = policy or HealthPolicy()
    backlog, cutoff = pending_prune(store, config.index_days(), now)
    index = IndexBacklog(backlog, config.dedup.prune_per_pass) if cutoff is not None else None
    return assess(
        now,
        store.runs.recent_runs("monitor", limit=STREAK_LOOKBACK),
        store.feed_health(pages_since=now - policy.pages_window),
        store.outbox.alert_counts(),
        policy=policy,
        enabled={f.name for f in config.feeds if f.enabled},
        last_completed=store.runs.last_run("monitor", [RunStatus.COMPLETED]),
        index=index,
        unreadable=_in_use(store, config),
        digests=_unfinished_digests(store, now),
        digest_run=_last_digest_run(store),
        failed=store.alert_views.failed_since(now - policy.failed_alerts_within),
        failed_replies=store.alert_views.failed_replies_since(now - policy.failed_alerts_within),
        ops_refused=_ops_refused(store, config),
        alerts_off=None if config.alerts.enabled else store.alert_views.held_back_while_off(),
        twins=configured_twins([f for f in config.feeds if f.enabled], store.feeds.moves()),
        waits=store.slack_waits.listed(),
    )


def _unfinished_digests(store: Store, now: datetime) -> list[UnfinishedDigest]:
    """The digests begun and not finished, none while a digest call is running: it tries
    them again (first thing, and after each retry delay) and its run fails if it cannot.
    Reported meanwhile, they were announced in the operations channel, then resolved, for a
    Slack blip the run got over minutes later."""
    running = store.runs.recent_runs("digest", limit=1, statuses=[RunStatus.RUNNING])
    if running and now - running[0].started_at < RUNNING_WITHIN:
        return []
    # a lease is over in the database's clock, which it was written in, not this host's: a
    # host minutes ahead reported a digest being posted right now, one behind a dead worker's late
    return store.digests.unfinished_digests(store.digests.now(), waiting=True)


def _last_digest_run(store: Store) -> RunRecord | None:
    """The newest digest call that finished (a dry run records none), unless a digest was
    begun since it started: one left is `digest_unfinished`'s, one finished is no problem."""
    done = store.runs.recent_runs("digest", limit=1, statuses=FINISHED)
    if not done or store.digests.begun_since(done[0].started_at):
        return None
    return done[0]


def _ops_refused(store: Store, config: Config) -> ChannelBlock | None:
    """The operations channel's block, when Slack refused its last notice for good: kept with
    the alert channels' blocks (`newsmon.pipeline.notices` sets and clears it)."""
    channel = config.slack.ops_channel
    return store.outbox.channel_blocks().get(channel) if channel is not None else None


def channels_in_use(store: Store, config: Config) -> set[str]:
    """The channels still in use: configured, or with messages still to go out there."""
    return config.slack.channels_in_use() | store.outbox.undelivered_channels()


def _in_use(store: Store, config: Config) -> dict[str, ChannelBlock]:
    """Channels whose history could not be read, among those still in use: one removed from
    the configuration is no problem any more."""
    unreadable = store.outbox.history_errors()
    if not unreadable:
        return unreadable
    in_use = channels_in_use(store, config)
    return {c: b for c, b in unreadable.items() if c in in_use}


def unreadable_in_use(store: Store, config: Config) -> dict[str, ChannelBlock]:
    """Channels whose history could not be read, among those still in use (what a delivery
    probes and reports): one no longer used is forgotten, not probed nor reported for ever."""
    unreadable = store.outbox.history_errors()
    for channel in set(unreadable) - (channels_in_use(store, config) if unreadable else set()):
        store.outbox.set_history_error(channel, None)
        del unreadable[channel]
    return unreadable
