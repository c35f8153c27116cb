"""Scoring: a loaded rule set (`Rules`) applied to one article, with evidence and vetoes.

A topic scores its terms' hits (title and body weighted, body mentions capped, `strong` terms
decisive once), is vetoed by an `exclude` term or by missing `requires` context, and matches at
`min_score`. Every topic keeps its hits (term, field, position, count) and a snippet, so an
alert, `newsmon classify` or `newsmon eval` can say why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsmon.rules.matcher import FieldHits, Matcher, term_spans
from newsmon.rules.model import (
    Field,
    TermHit,
    TopicMatch,
    TopicRule,
    TopicScoreDetail,
    Veto,
    VetoKind,
)
from newsmon.rules.terms import normalise_for_matching

SNIPPET_RADIUS = 90
MATCHED_CHARS = 80  # TermHit.matched is cut to this


@dataclass(frozen=True)
class Rules:
    topics: tuple[TopicRule, ...]
    version: str  # hash of the rule file, recorded with each match so replays can tell rules apart
    labels: dict[str, str] = field(default_factory=dict)
    korean: str = "suffix"  # or "kiwi": kiwipiepy decides where a Korean stem ends
    _matcher: list[Matcher] = field(default_factory=list, compare=False, repr=False)

    @property
    def matcher(self) -> Matcher:
        if not self._matcher:
            self._matcher.append(Matcher(self.topics, self.korean))
        return self._matcher[0]

    def classify(self, title: str | None, body: str | None) -> list[TopicMatch]:
        return classify(self, title, body)


def _snippet(text: str, start: int, end: int) -> str:
    lo = max(0, start - SNIPPET_RADIUS)
    hi = min(len(text), end + SNIPPET_RADIUS)
    if lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    piece = re.sub(r"\s+", " ", text[lo:hi]).strip()
    return ("…" if lo > 0 else "") + piece + ("…" if hi < len(text) else "")


def explain(
    rules: Rules, title: str | None, body: str | None, *, all_snippets: bool = True
) -> list[TopicScoreDetail]:
    """Every topic's score and evidence on this article, in rule order.

    Without `all_snippets`, only topics that match get a snippet (what `classify` needs).
    """
    fields: dict[Field, str] = {
        "title": normalise_for_matching(title or ""),
        "body": normalise_for_matching(body or ""),
    }
    matcher = rules.matcher
    found = {name: FieldHits(text, matcher.find(text)) for name, text in fields.items()}
    # Only terms built on an atom that occurs can have spans: skip the rest cheaply.
    active = {t for f in found.values() for i in f.found for t in matcher.users.get(i, ())}
    results: list[TopicScoreDetail] = []
    for topic in rules.topics:
        veto = next(
            (
                Veto(VetoKind.EXCLUDED, t.text)
                for t in topic.exclude
                if id(t) in active and term_spans(matcher, t, found)
            ),
            None,
        )
        if (
            veto is None
            and topic.requires
            and not any(id(t) in active and term_spans(matcher, t, found) for t in topic.requires)
        ):
            veto = Veto(VetoKind.NO_CONTEXT)
        w = topic.weights
        score = 0
        hits: list[TermHit] = []
        # The snippet comes from the body when it can: the title is shown in the alert anyway.
        best: dict[Field, tuple[int, int, int]] = {}  # field -> (weight, start, end)
        for kind, terms in (("term", topic.terms), ("strong", topic.strong)):
            for term in terms:
                if id(term) not in active:
                    continue
                term_score = 0
                for name, spans in term_spans(matcher, term, found).items():
                    first = spans[0]
                    surface = " ".join(fields[name][first[0] : first[1]].split())[:MATCHED_CHARS]
                    hits.append(TermHit(term.text, name, first[0], len(spans), surface))
                    if kind == "strong":
                        gain = w.strong
                        term_score = w.strong  # decisive once, wherever it stands
                    else:
                        gain = w.title if name == "title" else min(len(spans), w.body_cap) * w.body
                        term_score += gain
                    current = best.get(name)
                    if current is None or (gain, -first[0]) > (current[0], -current[1]):
                        best[name] = (gain, first[0], first[1])
                score += term_score
        snippet = ""
        if best and (all_snippets or (veto is None and score >= topic.min_score)):
            name = "body" if "body" in best else "title"
            _, start, end = best[name]
            snippet = _snippet(fields[name], start, end)
        hits.sort(key=lambda h: (h.field != "title", h.position))
        results.append(
            TopicScoreDetail(topic.key, score, topic.min_score, tuple(hits), snippet, veto)
        )
    return results


def classify(rules: Rules, title: str | None, body: str | None) -> list[TopicMatch]:
    """The topics this article matches, with their evidence."""
    return [
        TopicMatch(d.topic, d.score, d.hits, d.snippet)
        for d in explain(rules, title, body, all_snippets=False)
        if d.matched
    ]
