"""The expression parser: one entry of a rule list (``a | b``, ``NEAR/n``, ``NOT``, ``title:``,
``generic:``, ``specific:``, ``re:``, quotes) to a `Term` of compiled atoms; a bad entry raises
ValueError with a reason.
"""

from __future__ import annotations

import re
from typing import cast

import re2

from newsmon.rules.korean import is_hangul
from newsmon.rules.model import Atom, Term
from newsmon.rules.terms import (
    compile_term,
    lower_same_length,
    match_head,
    normalise_for_matching,
    stem_tokens,
)

_TOKEN = re.compile(
    r'\s*(?:"(?P<quoted>[^"]*)"|(?P<op>\||\(|\)|NEAR/\d+c?(?=[\s("]|$)|NOT(?=[\s("]|$))'
    r'|(?P<word>[^\s|()"]+))'
)
_NEAR = re.compile(r"NEAR/(\d+)(c?)")
_SPECIFIC_NEEDS_NEAR = "specific: is for NEAR pairs (a plain word or phrase is decisive already)"


def _lex(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read {text[pos:]!r}")
        pos = m.end()
        if m.group("quoted") is not None:
            out.append(("word", m.group("quoted")))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        else:
            out.append(("word", m.group("word")))
    return out


def _group(tokens: list[tuple[str, str]], what: str) -> list[str]:
    """`a | b c | (d)` → ["a", "b c", "d"]; parentheses around the whole group are optional."""
    if tokens and tokens[0] == ("op", "(") and tokens[-1] == ("op", ")"):
        tokens = tokens[1:-1]
    phrases: list[str] = []
    words: list[str] = []
    for kind, value in tokens:
        if kind == "op" and value == "|":
            if not words:
                raise ValueError(f"an empty alternative in {what}")
            phrases.append(" ".join(words))
            words = []
        elif kind == "op":
            raise ValueError(f"unexpected {value!r} in {what} (no nesting: one level of ( | ))")
        else:
            words.append(value)
    if not words:
        raise ValueError(f"{what} is empty" if not phrases else f"an empty alternative in {what}")
    phrases.append(" ".join(words))
    return phrases


def _atom(text: str, lax_korean: bool) -> Atom:
    pattern = compile_term(text, lax_korean_end=lax_korean)
    tokens, _ = stem_tokens(normalise_for_matching(text).strip())
    head = match_head(tokens)  # 오픈소스 is looked for as 오픈: "오픈 소스" matches too
    return Atom(
        text,
        pattern,
        lower_same_length(head) if head else None,  # 풀다 (풀어, 푼): found by its regex
        is_hangul(tokens[-1][-1]),
        len(tokens) == 1 and head == tokens[0],
    )


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # the loader reports a refused pattern, with file and line
    return options


_RE2_OPTIONS = _re2_options()


# A dotted acronym a pattern writes (`H\.R\.`), not inside a word or after an escape but \b.
_DOTTED = re.compile(r"(?:^|(?<=[^\\A-Za-z0-9.])|(?<=\\[bB]))(?:[A-Z]\\\.){2,}")


def _undotted(source: str) -> str:
    """The rules read "H.R. 1234" as "HR 1234" (`normalise_for_matching`): so does a pattern."""
    return _DOTTED.sub(lambda m: m.group().replace("\\.", ""), source)


def _line_breaks_too(source: str) -> str:
    """`source` with each space it writes (alone, or in a class) also reading a line break.

    The rules read white space as one space or one line break (`collapse_spaces`), and feed
    text keeps the line breaks of its HTML source mid-sentence ("플로리다주\n검찰총장은"): word
    terms read past them, and a pattern's space must too. Escapes (`\\ `, `\\Q…\\E`) stay."""
    out: list[str] = []
    i, size, in_class = 0, len(source), False
    while i < size:
        ch = source[i]
        if ch == "\\":  # an escaped character, or \Q … \E quoted text
            quoted = source.find("\\E", i + 2) if source.startswith("\\Q", i) else i
            stop = size if quoted < 0 else quoted + 2
            out.append(source[i:stop])
            i = stop
            continue
        if in_class:
            if source.startswith("[:", i) and (close := source.find(":]", i + 2)) > 0:
                out.append(source[i : close + 2])  # [[:alpha:] ]: a POSIX class inside
                i = close + 2
                continue
            in_class = ch != "]"
            out.append(" \n" if ch == " " else ch)
        elif ch == "[":
            in_class = True
            start = i + 2 if source.startswith("[^", i) else i + 1
            # a "]" first in a class is itself
            end = start + 1 if source.startswith("]", start) else start
            out.append(source[i:end].replace(" ", " \n"))
            i = end
            continue
        else:
            out.append("[ \n]" if ch == " " else ch)
        i += 1
    return "".join(out)


def _regex_atom(source: str) -> Atom:
    """A user's ``re:`` pattern, compiled by RE2: linear time on any text, so no pattern can
    stall a pass; one RE2 cannot run (look-around, backreferences) is refused at load."""
    source = source.strip()
    if not source:
        raise ValueError("re: needs a pattern")
    try:
        compiled = re2.compile(_line_breaks_too(_undotted(source)), _RE2_OPTIONS)
    except re2.error as exc:
        why = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(
            f"invalid regex {source!r} for RE2: {why} (no look-around, no backreferences)"
        ) from None
    # RE2's compiled patterns offer what the matcher uses of `re.Pattern` (search, match,
    # finditer, pattern); they have no `flags`, which only word atoms are asked for.
    pattern = cast(re.Pattern[str], compiled)
    if pattern.search("") is not None:
        raise ValueError(f"regex {source!r} matches the empty string: it would match everything")
    return Atom(f"re:{source}", pattern, None)


def parse_term(text: str, lang: str, *, expressions: bool = True, lax_korean: bool = False) -> Term:
    """Parse one entry of a rule list; raises ValueError with a reason a person can act on.

    Without `expressions` (format version 1) every entry is a plain word or phrase.
    """
    raw = text
    text = text.strip()
    if not text:
        raise ValueError("a term must be a non-empty string")
    if not expressions:
        return Term(text, lang, (_atom(text, lax_korean),))
    title_only = generic = specific = False
    while text.startswith(("title:", "generic:", "specific:")):  # in any order
        prefix, _, text = text.partition(":")
        text = text.strip()
        if prefix == "title":
            title_only = True
        elif prefix == "generic":  # a common noun ("regulation"): never decisive in a short body
            generic = True
        else:  # a pair whose two sides together name the topic ("safeguards ... removed")
            specific = True
    if specific and generic:
        raise ValueError("a term is either specific: or generic:, not both")
    if specific and text.startswith("re:"):
        raise ValueError(_SPECIFIC_NEEDS_NEAR)
    if text.startswith("re:"):
        return Term(
            raw.strip(), lang, (_regex_atom(text[3:]),), title_only=title_only, generic=generic
        )
    tokens = _lex(text)
    nots = [i for i, t in enumerate(tokens) if t == ("op", "NOT")]
    unless: tuple[Atom, ...] = ()
    if len(nots) > 1:
        raise ValueError("at most one NOT per term (group the exceptions: a NOT (b | c))")
    if nots:
        after = tokens[nots[0] + 1 :]
        if not after:
            raise ValueError("NOT needs a term after it")
        unless = tuple(_atom(p, lax_korean) for p in _group(after, "the NOT part"))
        tokens = tokens[: nots[0]]
    nears = [i for i, t in enumerate(tokens) if t[0] == "op" and t[1].startswith("NEAR/")]
    near: tuple[Atom, ...] = ()
    distance, chars = 0, False
    if len(nears) > 1:
        raise ValueError("at most one NEAR per term")
    if nears:
        m = _NEAR.fullmatch(tokens[nears[0]][1])
        assert m is not None
        distance, chars = int(m.group(1)), bool(m.group(2))
        right = tokens[nears[0] + 1 :]
        if not right or not tokens[: nears[0]]:
            raise ValueError("NEAR needs a term on both sides")
        near = tuple(_atom(p, lax_korean) for p in _group(right, "the right side of NEAR"))
        tokens = tokens[: nears[0]]
    if specific and not near:
        raise ValueError(_SPECIFIC_NEEDS_NEAR)
    if not tokens:
        raise ValueError("nothing to match before NOT")
    atoms = tuple(_atom(p, lax_korean) for p in _group(tokens, "the term"))
    return Term(
        raw.strip(),
        lang,
        atoms,
        near,
        distance,
        "chars" if chars else "words",
        title_only,
        unless,
        generic,
        specific,
    )
