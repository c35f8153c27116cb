"""The link an aggregator's item is shown with (split from `corpus.outbox`, at its size limit).

Its own link is the aggregator's wrapper page (a redirect needing JavaScript); once its
publisher's own feed carried the story, the alert links that page instead. A story whose link
its feed gave a newer story (`corpus.set_aside`) links another outlet's copy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsmon.aggregated import site_form, site_of
from newsmon.corpus.cluster_queries import story_members
from newsmon.corpus.schema import ArticleRow
from newsmon.corpus.set_aside import standing_copy
from newsmon.urls import clean_url

# a story's copies looked at for the publisher's own page: a story has a handful
_MAX_COPIES = 50


def shown_link(s: Session, article: ArticleRow) -> str:
    """The link to show for an article (the whole link, no tracking parameters): for an
    aggregator's item, the first copy of its story on its `<source>`'s site, when there is one;
    for a story set aside (its link opens a newer story now), a copy whose link still opens it
    (`standing_copy`)."""
    return clean_url((own_copy(s, article) or standing_copy(s, article) or article).link)


def own_copy(s: Session, article: ArticleRow) -> ArticleRow | None:
    """An aggregator's item's story as its publisher's own feed carried it: the first copy on
    its `<source>`'s site (another site's copy, or a wrapper read from a feed naming no
    publisher, is not the publisher's page). An item whose site is not known (stored before
    migration 0026, or a `<source>` without its url) takes the first copy off the aggregator's
    own site, as digests did before. None for any other article, or with no such copy. Alerts
    and digests both link through it."""
    if not article.publisher:
        return None
    wanted = site_form(article.publisher_site)
    wrapper_site = site_of(article.link)
    head = article.duplicate_of_id or article.id
    copies = s.scalars(
        select(ArticleRow)
        .where(ArticleRow.id.in_(story_members(head)), ArticleRow.publisher.is_(None))
        .order_by(ArticleRow.id)
        .limit(_MAX_COPIES)
    )
    for copy in copies:
        site = site_of(copy.link)
        if site == wanted if wanted else site != wrapper_site:
            return copy
    return None
