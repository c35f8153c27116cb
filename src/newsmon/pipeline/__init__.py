"""The monitoring pass, delivery and replay, Prefect-free: `flows/` wraps these in tasks;
tests and scripts call them directly. Every step that can fail for one feed, page or alert
records why and lets the pass go on.

Modules: `context` (what a pass shares), `outcomes` (typed records of what it did),
`claims` (a pass among others on one corpus), `feed_pass` (feeds), `entries` (entries and
edits), `delivery` (alerts to Slack), `replay` (backfill and its preview), `pages` (backfill
of given URLs), `retention` (old stories leave the near-duplicate index).
"""

from newsmon.pipeline.bookkeeping import record_crashed, settle_batches
from newsmon.pipeline.claims import PassClaim
from newsmon.pipeline.context import Context, until_stopped
from newsmon.pipeline.delivery import deliver, deliver_pending
from newsmon.pipeline.entries import (
    analyse_page,
    page_job,
    process_entry,
    store_entry,
    to_stored,
)
from newsmon.pipeline.feed_pass import process_feed, process_feeds
from newsmon.pipeline.outcomes import DeliveryOutcome, EntryFate, EntryResult, FeedOutcome
from newsmon.pipeline.pages import (
    PageOutcome,
    PageUrl,
    UrlListError,
    as_listed,
    backfill_pages,
    each_page_once,
    read_url_list,
)
from newsmon.pipeline.replay import (
    MatchDiff,
    ReclassifyOutcome,
    diff_matches,
    preview_reclassify,
    queue_for,
    reclassify_batch,
)
from newsmon.pipeline.retention import PruneOutcome, pending_prune, prune_index

__all__ = [
    "Context",
    "DeliveryOutcome",
    "EntryFate",
    "EntryResult",
    "FeedOutcome",
    "MatchDiff",
    "PageOutcome",
    "PageUrl",
    "PassClaim",
    "PruneOutcome",
    "ReclassifyOutcome",
    "UrlListError",
    "analyse_page",
    "as_listed",
    "backfill_pages",
    "deliver",
    "deliver_pending",
    "diff_matches",
    "each_page_once",
    "page_job",
    "pending_prune",
    "preview_reclassify",
    "process_entry",
    "process_feed",
    "process_feeds",
    "prune_index",
    "queue_for",
    "read_url_list",
    "reclassify_batch",
    "record_crashed",
    "settle_batches",
    "store_entry",
    "to_stored",
    "until_stopped",
]
