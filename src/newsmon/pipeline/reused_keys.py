"""Entries whose stored story under their key is another story (`newsmon.story_reuse`): that
story is set aside (`corpus.set_aside`) and the entry goes through the pass as new."""

from __future__ import annotations

import logging

from newsmon.corpus.records import KnownArticle
from newsmon.pipeline.context import Context
from newsmon.pipeline.entry_keys import Identified, fingerprinted_as
from newsmon.story_reuse import another_story

log = logging.getLogger(__name__)


def set_aside_reused(
    ctx: Context, feed_id: int, identified: Identified, known: dict[str, KnownArticle]
) -> list[str]:
    """The keys of `known` whose stored story, the feed's own, is not the entry now under the
    key but an earlier story its CMS gave the same link or GUID: set aside, to be stored anew.
    Items told apart (`identified.shared`) are left to their own rules. Runs in a thread."""
    changed = {
        key: row
        for key, row in known.items()
        if key not in identified.shared
        and row.feed_id == feed_id
        and row.entry_fingerprint is not None
        and not fingerprinted_as(row.entry_fingerprint, identified.entries[key])
    }
    if not changed:
        return []
    words = ctx.store.stored_words([row.id for row in changed.values()])
    reused = []
    for key, row in changed.items():
        entry = identified.entries[key]
        title, opening = words.get(row.id, (None, ""))
        if not another_story(entry.title, entry.summary, title, opening):
            continue
        if ctx.store.set_aside(row.id, feed_id, key):
            log.info("%s: a new story under the key of story %d (its CMS reused it)", key, row.id)
            reused.append(key)
    return reused
