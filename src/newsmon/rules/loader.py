"""Loading `topics.yaml`: validate it (`schema.py`), parse every term, refuse topics that can
never match, and hash the file so each stored match records which rules produced it.

Every refusal is a `ConfigError` naming file, line, key and reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from newsmon.rules.korean import kiwi_available
from newsmon.rules.model import KOREAN_MODES, Atom, Term, TopicRule, Weights
from newsmon.rules.parser import parse_term
from newsmon.rules.schema import RulesFile, TermsByLang
from newsmon.rules.scoring import Rules
from newsmon.rules.terms import normalise_for_matching
from newsmon.yamlfile import Loc, LocatedYaml, load_yaml

PARTS = ("terms", "strong", "exclude", "requires")


def load_rules(path: Path, *, korean: str | None = None) -> Rules:
    """Load and validate topic rules; a bad rule fails here naming file, line and reason.

    `korean` overrides the file's `korean:` setting ("suffix" or "kiwi").
    """
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise doc.error(("topics",), "the file must have a 'topics' mapping")
    spec = doc.validate(RulesFile)
    mode = korean or spec.korean
    if mode not in KOREAN_MODES:
        raise doc.error(("korean",), f"must be one of {', '.join(KOREAN_MODES)}")
    if mode == "kiwi" and not kiwi_available():
        raise doc.error(
            ("korean",), "kiwi needs kiwipiepy: pip install 'newsmon[korean]' (or use suffix)"
        )
    expressions, lax = spec.version >= 2, mode == "kiwi"
    topics: list[TopicRule] = []
    for key, topic in spec.topics.items():
        loc: Loc = ("topics", key)
        parsed = {
            part: _parse(doc, (*loc, part), getattr(topic, part), expressions, lax)
            for part in PARTS
        }
        rule = TopicRule(
            key=key,
            label=topic.label or key,
            min_score=topic.threshold,
            terms=tuple(t for t, _ in parsed["terms"]),
            strong=tuple(t for t, _ in parsed["strong"]),
            exclude=tuple(t for t, _ in parsed["exclude"]),
            weights=Weights(**topic.weights.model_dump()),
            requires=tuple(t for t, _ in parsed["requires"]),
        )
        _check_can_match(doc, loc, rule, {id(t): where for p in parsed.values() for t, where in p})
        topics.append(rule)
    # The hash covers the analyser choice too: the same file can match differently with kiwi.
    hashed = {**doc.data, "korean": mode} if mode != "suffix" else doc.data
    canonical = json.dumps(hashed, sort_keys=True, ensure_ascii=False).encode()
    digest = hashlib.sha256(canonical).hexdigest()[:12]
    rules = Rules(tuple(topics), digest, {t.key: t.label for t in topics}, mode)
    rules.matcher  # noqa: B018 - build the automaton now, at start, not on the first article
    return rules


def _parse(
    doc: LocatedYaml, loc: Loc, by_lang: TermsByLang | None, expressions: bool, lax: bool
) -> list[tuple[Term, Loc]]:
    """The parsed terms of one list, each with where it stands in the file."""
    out: list[tuple[Term, Loc]] = []
    for lang, items in (by_lang or {}).items():
        for i, item in enumerate(items):
            try:
                term = parse_term(item, lang, expressions=expressions, lax_korean=lax)
            except (ValueError, re.error) as exc:
                raise doc.error((*loc, lang, i), f"bad term {item!r}: {exc}") from None
            out.append((term, (*loc, lang, i)))
    return out


def _inside(outer: Atom, inner: Atom) -> bool:
    """Does every occurrence of `outer` contain an occurrence of `inner`?"""
    if outer.key is None or inner.key is None:
        return False
    text = normalise_for_matching(outer.text)
    return inner.pattern.search(text) is not None


def _check_can_match(doc: LocatedYaml, loc: Loc, topic: TopicRule, where: dict[int, Loc]) -> None:
    """Refuse rules that can never count: vetoed by their own topic or their own NOT part."""
    for term in (*topic.terms, *topic.strong):
        for atom in term.atoms:
            for veto in term.unless:
                if _inside(atom, veto):
                    raise doc.error(
                        where[id(term)],
                        f"term {term.text!r} can never match: its NOT part {veto.text!r} "
                        "occurs in every match",
                    )
            for ex in topic.exclude:
                if (
                    len(term.atoms) == 1
                    and not ex.near
                    and not ex.unless
                    and not ex.title_only
                    and any(_inside(atom, e) for e in ex.atoms)
                ):
                    raise doc.error(
                        where[id(term)],
                        f"term {term.text!r} can never match: exclude {ex.text!r} vetoes "
                        "every article that has it",
                    )
    w = topic.weights
    best = sum(
        w.title + (0 if t.title_only else w.body * w.body_cap) for t in topic.terms
    ) + w.strong * len(topic.strong)
    if best < topic.min_score:
        raise doc.error(
            (*loc, "min_score"),
            f"can never be reached: all terms together score at most {best}",
        )
