"""How `newsmon classify` and `newsmon eval` explain one topic's score on one article: the
evidence (hits, near misses, snippet) and, for a labelled positive the rules missed, what was
missing in words an editor of topics.yaml can act on. Prefect-free.
"""

from __future__ import annotations

from newsmon.rules import NearMissKind, TopicScoreDetail, VetoKind, Weights

RULE_CHARS = 70  # a rule expression is cut to this in explanations


def state(d: TopicScoreDetail) -> str:
    """The score against the minimum, any veto, and a short body's multiplier."""
    said = f"score {d.score} of {d.min_score}"
    if d.veto is not None and d.veto.kind is VetoKind.NO_CONTEXT:
        said += ", vetoed: none of its `requires` context terms occurs"
    elif d.veto is not None:
        said += f", vetoed by exclude {d.veto.term!r}"
    if d.mentions_per_hit > 1:
        said += f"; short body: a decisive body mention counts {d.mentions_per_hit}x"
    return said


def missing(d: TopicScoreDetail, w: Weights) -> list[str]:
    """What kept a labelled positive from matching, by what an editor would change: a veto
    alone, a NEAR window, a `title:` term in the body, a NOT part, points (with what a mention
    is worth where), or no term at all. "score 2 of 3" alone says none of it."""
    out: list[str] = []
    reached = d.score >= d.min_score and bool(d.hits)
    if d.veto is not None and d.veto.kind is VetoKind.EXCLUDED:
        veto = f"exclude {d.veto.term!r} occurs"
        out.append(
            f"nothing but a veto: {veto}; without it this matches" if reached else f"a veto: {veto}"
        )
    elif d.veto is not None:
        out.append("a `requires` context term: none occurs, so the topic cannot match")
    for near in d.near_misses:
        term = _cut(near.term)
        if near.kind is NearMissKind.NEAR_WINDOW:
            out.append(f"a NEAR window too small: {term} ({near.reason})")
        elif near.kind is NearMissKind.TITLE_ONLY:
            out.append(f"a title: term only in the body: {term}")
        else:
            out.append(f"a term cancelled by its NOT part: {term}")
    short = d.min_score - d.score
    if short > 0 and d.hits:
        out.append(
            f"{short} point{'s' if short > 1 else ''}: the terms found count too little where "
            f"they stand (a mention +{w.title} in the title, +{w.lede} in the lede, +{w.body} in "
            f"the body; a strong: term +{w.strong})"
        )
    if not d.hits and not d.near_misses and d.veto is None:
        out.append("any term of the topic: none occurs (--suggest lists words misses share)")
    return out


def explain_lines(
    d: TopicScoreDetail, *, snippet: bool = True, near_misses: bool = True
) -> list[str]:
    """One topic's evidence, as `newsmon classify` and `newsmon eval` print it: each hit with its
    field, position, count and points, the rule words that matched (and the rule, when it is an
    expression), the terms that nearly counted (unless `missing` says them), and the snippet."""
    lines: list[str] = []
    for hit in d.hits:
        rule = "" if hit.shown.casefold() == hit.term.casefold() else f"   [{_cut(hit.term)}]"
        said = hit.matched.casefold() not in (hit.shown.casefold(), hit.term.casefold())
        seen = f"  «{hit.matched}»" if hit.matched and said else ""
        where = "lede " if hit.lede else hit.field
        lines.append(
            f"  {where:<5} @{hit.position:<6} x{hit.count:<2} +{hit.points:<2} "
            f"{hit.shown}{seen}{rule}"
        )
    if not near_misses:  # `missing` has said them
        return lines
    for miss in d.near_misses:
        lines.append(f"  nearly: {_cut(miss.term)} ({miss.reason})")
    if not d.hits and not d.near_misses:
        lines.append("  no term of this topic occurs")
    if snippet and d.snippet and (d.matched or d.hits):
        lines.append(f"  snippet: {d.snippet}")
    return lines


def _cut(text: str) -> str:
    return text if len(text) <= RULE_CHARS else text[: RULE_CHARS - 1] + "…"
