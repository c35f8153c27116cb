"""The rows an article's topic matches are stored as (split from `corpus.articles`, at its
size limit)."""

from __future__ import annotations

from collections.abc import Sequence

from newsmon.corpus.records import StoredMatch
from newsmon.corpus.schema import MatchRow


def match_rows(
    article_id: int, matches: Sequence[StoredMatch], rules_version: str
) -> list[MatchRow]:
    """One row per topic an article matched, under the rules version that matched it."""
    return [
        MatchRow(
            article_id=article_id,
            topic=m.topic,
            score=m.score,
            terms=m.terms,
            snippet=m.snippet,
            rules_version=rules_version,
        )
        for m in matches
    ]
