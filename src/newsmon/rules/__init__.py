"""Topic rules: `topics.yaml` loaded into rules, and the rules applied to an article.

A rule file lists, per topic, terms per language. A term is a word or phrase (`open weights`,
`오픈소스`), or a small expression (format version 2):

- ``a | b | c``: any of these (one term: it scores once, however many of them occur);
- ``a NEAR/5 b``: a and b within 5 words of each other, in either order (``NEAR/20c``: 20
  characters); each side may be an ``|`` group, in parentheses or not;
- ``title: a``: only a hit in the title counts;
- ``a NOT b``: a counts unless b occurs anywhere in the article (the topic's `exclude` list
  vetoes the whole topic instead);
- ``re: PATTERN``: a regular expression run by RE2 (linear time), validated at load;
- ``"..."``: quotes keep a word such as NEAR, NOT or ``|`` literal.

One job per module, in the order an article meets them:

- `korean`: the particle, suffix and verb-ending tables, and the optional kiwi analyser;
- `terms`: one word or phrase compiled to a regex with script-aware boundaries;
- `termpattern`: a compiled term, its Hangul boundaries checked outside its own regex;
- `model`: the records (atoms, terms, topics; hits, matches, vetoes);
- `parser`: one rule entry (``|``, ``NEAR``, ``NOT``, ``title:``, ``re:``) to a term;
- `schema`: the shape of `topics.yaml` (pydantic), with its refusals worded;
- `loader`: the file to `Rules`, refusing terms and topics that can never match;
- `matcher`: all atoms of all topics found in one pass per field (Aho-Corasick, then kiwi);
- `scoring`: `Rules` applied to an article: scores (a short body counts more), evidence, vetoes;
- `evidence`: readable evidence: the rule words that matched, sentence snippets, near misses.
"""

from newsmon.rules.korean import kiwi_available
from newsmon.rules.loader import load_rules
from newsmon.rules.matcher import Matcher
from newsmon.rules.model import (
    FIELDS,
    KOREAN_MODES,
    LANGS,
    Atom,
    Field,
    KoreanMode,
    Lang,
    NearMiss,
    NearMissKind,
    Term,
    TermHit,
    TopicMatch,
    TopicRule,
    TopicScoreDetail,
    Veto,
    VetoKind,
    Weights,
)
from newsmon.rules.parser import parse_term
from newsmon.rules.scoring import Rules, classify, explain
from newsmon.rules.terms import compile_term, normalise_for_matching

__all__ = [
    "FIELDS",
    "KOREAN_MODES",
    "LANGS",
    "Atom",
    "Field",
    "KoreanMode",
    "Lang",
    "Matcher",
    "NearMiss",
    "NearMissKind",
    "Rules",
    "Term",
    "TermHit",
    "TopicMatch",
    "TopicRule",
    "TopicScoreDetail",
    "Veto",
    "VetoKind",
    "Weights",
    "classify",
    "compile_term",
    "explain",
    "kiwi_available",
    "load_rules",
    "normalise_for_matching",
    "parse_term",
]
