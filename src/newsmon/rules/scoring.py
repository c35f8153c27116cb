"""Scoring: a loaded rule set (`Rules`) applied to one article, with evidence and vetoes.

A topic scores its terms' hits (title and body weighted, body mentions capped and counted more
in a short body or in the lede, `strong` terms decisive once; a digest's body by its best story
alone), is vetoed by an `exclude` term or
by missing `requires` context, and matches at `min_score`. Every topic keeps its hits (term, field,
position, count, the rule words that matched) and a snippet, so an alert, `newsmon classify` or
`newsmon eval` can say why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsmon.rules.evidence import (
    MATCHED_CHARS,
    describe,
    near_miss,
    snippet,
)
from newsmon.rules.matcher import Matcher, Span, term_spans
from newsmon.rules.model import (
    Field,
    NearMiss,
    Term,
    TermHit,
    TopicMatch,
    TopicRule,
    TopicScoreDetail,
    Veto,
    VetoKind,
)
from newsmon.rules.shown import ShownText
from newsmon.rules.stories import story_of, story_starts
from newsmon.rules.terms import normalise_for_matching


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


CHARS_PER_WORD = 8  # a text without spaces (Chinese, Japanese) counts a word per 8 characters


def body_length(body: str, short_words: int) -> int:
    """The body's length in words (white-space separated; at least one per `CHARS_PER_WORD`
    characters), counted exactly only when it may be under `short_words`."""
    floor = len(body) // CHARS_PER_WORD
    return floor if floor >= short_words else max(floor, len(body.split()))


def is_context(term: Term, topic: TopicRule) -> bool:
    """A word the topic lists under `requires` says "AI", not what the story is about (Hugging
    Face says "AI", not "open-source"): it never counts more, in a short body or in the lede."""
    return not term.near and any(a.text.casefold() in topic.context for a in term.atoms)


def decisive(term: Term) -> bool:
    """Whether one mention of the term in a short body states the subject: a plain word or
    phrase does unless marked `generic:`; a NEAR pair does only when marked `specific:`."""
    return term.specific if term.near else not term.generic


def best_story(
    topic: TopicRule, starts: tuple[int, ...], hits: list[tuple[Term, list[Span]]]
) -> list[tuple[Term, list[Span], int, bool]]:
    """The body hits of the digest story that scores most (the first of equals), each with its
    points and whether it stood in the lede: a topic's evidence must come from one story, not
    be summed across unrelated ones (`stories.py`). A digest is long: no short-body weight."""
    w = topic.weights
    by_story: dict[int, list[tuple[Term, list[Span], int, bool]]] = {}
    for term, spans in hits:
        split: dict[int, list[Span]] = {}
        for span in spans:
            split.setdefault(story_of(starts, span[0]), []).append(span)
        for index, own in split.items():
            gain = w.body_points(len(own), 1)
            lede = own[0][0] < w.lede_chars and not is_context(term, topic)
            if lede:
                gain += w.lede - w.body
            by_story.setdefault(index, []).append((term, own, gain, lede and w.lede > w.body))
    index = max(sorted(by_story), key=lambda i: sum(h[2] for h in by_story[i]))
    return by_story[index]


def explain(
    rules: Rules,
    title: str | None,
    body: str | None,
    *,
    all_snippets: bool = True,
    near_misses: bool | None = None,
) -> list[TopicScoreDetail]:
    """Every topic's score and evidence on this article, in rule order.

    Without `all_snippets`, only topics that match get a snippet and labelled hits (what
    `classify` needs); `near_misses` (default: as `all_snippets`) also says, per topic, which
    terms occurred in part without counting.
    """
    if near_misses is None:
        near_misses = all_snippets
    fields: dict[Field, str] = {
        "title": normalise_for_matching(title or ""),
        "body": normalise_for_matching(body or ""),
    }
    matcher = rules.matcher
    found = {name: matcher.field_hits(text) for name, text in fields.items()}
    # Evidence is cut from the text as written (`shown.py`), mapped only when some is shown.
    views: dict[Field, ShownText] = {}

    def as_written(name: Field) -> ShownText:
        if name not in views:
            views[name] = ShownText((title if name == "title" else body) or "", fields[name])
        return views[name]

    # Only terms built on an atom that occurs can have spans: skip the rest cheaply.
    active = found["title"].terms | found["body"].terms
    if not near_misses:  # nor can a NEAR pair whose other side occurs nowhere ("AI" is common)
        occurring = found["title"].found.keys() | found["body"].found.keys()
        sides = matcher.near_sides
        active -= {t for t in active & sides.keys() if occurring.isdisjoint(sides[t])}
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
        # In a short body each mention of a decisive term counts `boost` times: a plain word or
        # phrase (or an `|` group of them) states the subject; a NEAR pair joins words that are
        # weak alone (AI, safety) and keeps its full-article weight, as does a context word,
        # unless it is marked `specific:` (both sides name the topic: safeguards ... removed).
        boost = w.mentions_per_hit(body_length(fields["body"], w.short_words))
        stories: tuple[int, ...] | None = None  # found when a body hit needs them
        in_stories: list[tuple[Term, list[Span]]] = []  # body hits of a digest, scored below
        per_hit = 1
        score = 0
        raw: list[tuple[Term, Field, list[Span], int, bool]] = []  # ..., points, in the lede
        missed: list[NearMiss] = []
        # The snippet comes from the body when it can: the title is shown in the alert anyway.
        best: dict[Field, tuple[int, int, int]] = {}  # field -> (points, start, end)
        for kind, terms in (("term", topic.terms), ("strong", topic.strong)):
            for term in terms:
                if id(term) not in active:
                    continue
                spans_by_field = term_spans(matcher, term, found)
                if not spans_by_field:
                    if near_misses:
                        miss = near_miss(matcher, term, found)
                        if miss is not None:
                            missed.append(miss)
                    continue
                term_score = 0
                for name, spans in spans_by_field.items():
                    lede = False
                    if kind == "strong":
                        gain = w.strong
                        term_score = w.strong  # decisive once, wherever it stands
                    elif name == "title":
                        gain = w.title
                        term_score += gain
                    else:
                        if stories is None:
                            stories = story_starts(fields["body"], w.story_words)
                        if stories:  # a digest: each story's evidence counts on its own
                            in_stories.append((term, spans))
                            continue
                        context = is_context(term, topic)
                        if boost > 1 and decisive(term) and not context:
                            per_hit = boost
                            gain = w.body_points(len(spans), boost)
                        else:  # the lede counts more, a short body's mentions already do
                            gain = w.body_points(len(spans), 1)
                            if spans[0][0] < w.lede_chars and not context:
                                gain += w.lede - w.body
                                lede = w.lede > w.body
                        term_score += gain
                    raw.append((term, name, spans, gain, lede))
                    first = spans[0]
                    current = best.get(name)
                    if current is None or (gain, -first[0]) > (current[0], -current[1]):
                        best[name] = (gain, first[0], first[1])
                score += term_score
        if stories and in_stories:
            for term, spans, gain, lede in best_story(topic, stories, in_stories):
                raw.append((term, "body", spans, gain, lede))
                first = spans[0]
                current = best.get("body")
                if current is None or (gain, -first[0]) > (current[0], -current[1]):
                    best["body"] = (gain, first[0], first[1])
                score += gain
        shown = all_snippets or (veto is None and score >= topic.min_score)
        hits: list[TermHit] = []
        for term, name, spans, gain, lede in raw:
            first = spans[0]
            view = as_written(name) if shown else None
            label, matched = (
                describe(matcher, term, found[name], first, view) if shown else ("", "")
            )
            if not matched:
                matched = " ".join(fields[name][first[0] : first[1]].split())[:MATCHED_CHARS]
            hits.append(TermHit(term.text, name, first[0], len(spans), matched, label, gain, lede))
        text_snippet = ""
        if best and shown:
            name = "body" if "body" in best else "title"
            _, start, end = best[name]
            view = as_written(name)
            text_snippet = snippet(view.text, *view.span(start, end))
        hits.sort(key=lambda h: (h.field != "title", h.position))
        results.append(
            TopicScoreDetail(
                topic.key,
                score,
                topic.min_score,
                tuple(hits),
                text_snippet,
                veto,
                per_hit,
                tuple(missed),
            )
        )
    return results


def classify(rules: Rules, title: str | None, body: str | None) -> list[TopicMatch]:
    """The topics this article matches, with their evidence."""
    return [
        TopicMatch(d.topic, d.score, d.hits, d.snippet)
        for d in explain(rules, title, body, all_snippets=False)
        if d.matched
    ]
