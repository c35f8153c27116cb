"""Two scoring rules of `topics.yaml`: a `generic:` term takes no short-item weight, and a
digest's body (`weights.story_words`) scores its best story alone (`rules/stories.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.rules import Rules, explain, load_rules
from newsmon.rules.stories import MIN_BULLETS, story_of, story_starts

RULES = """\
version: 2
topics:
  policy:
    min_score: 3
    weights: {story_words: 200}
    terms:
      en: ["generic: regulation", "title: generic: regulators", "FTC", "AI NEAR/3 rules"]
    strong:
      en: ["AI Act"]
"""


def _load(tmp_path: Path, text: str = RULES) -> Rules:
    path = tmp_path / "topics.yaml"
    path.write_text(text, encoding="utf-8")
    return load_rules(path)


def _score(rules: Rules, title: str, body: str) -> int:
    return next(d.score for d in explain(rules, title, body) if d.topic == "policy")


def _chatter(n: int) -> str:
    """A digest story about something else, 30 words."""
    return f"* Story {n} about GPUs: members compared kernels, drivers and clocks " + (
        "and argued about benchmarks for a while " * 3
    )


# Ten stories of chatter: 300+ words, ten bullets.
DIGEST = [_chatter(n) for n in range(10)]


def test_a_generic_term_takes_no_short_item_weight(tmp_path: Path) -> None:
    rules = _load(tmp_path)
    # one "regulation" in a one-line teaser: the lede's 2 points, not a title's 3
    teaser = "Three pioneers argue about open models, safety and regulation in a new essay."
    assert _score(rules, "", teaser) == 2
    assert rules.classify("", teaser) == []
    # a decisive term in the same teaser still counts 100 // n times
    assert _score(rules, "", teaser.replace("regulation", "the FTC")) == 3
    # its title hit and repeated body mentions count as before
    assert _score(rules, "New regulation for chatbots", "") == 3
    assert _score(rules, "", "The regulation, the regulation and the regulation.") == 4
    # the prefix goes with `title:` in either order, and shows in evidence as written
    [term] = [t for t in rules.topics[0].terms if t.title_only]
    assert term.generic and term.text == "title: generic: regulators"
    [hit] = rules.classify("Regulators act", "")[0].hits
    assert hit.term == "title: generic: regulators" and hit.points == 3


def test_a_generic_term_in_the_lede_of_a_short_item_counts_the_lede_weight(
    tmp_path: Path,
) -> None:
    rules = _load(tmp_path)
    detail = next(
        d for d in explain(rules, "", "Regulation is coming, some say.") if d.matched is False
    )
    [hit] = detail.hits
    assert hit.lede and hit.points == 2


def test_story_starts_finds_a_digest_and_nothing_else() -> None:
    body = "".join(DIGEST)
    starts = story_starts(body, 200)
    assert len(starts) == 10 and starts[0] == 0
    assert story_of(starts, 0) == 0 and story_of(starts, len(body) - 1) == 9
    assert story_of(starts, starts[3]) == 3 and story_of(starts, starts[3] - 1) == 2
    # a lead-in before the first bullet is a story of its own
    assert story_starts("Intro words here. " + body, 200)[:2] == (0, len("Intro words here. "))
    # off, too short, or too few bullets: one story
    assert story_starts(body, 0) == ()
    assert story_starts(body, 10_000) == ()
    few = "".join(DIGEST[: MIN_BULLETS - 1]) + "plain prose without bullets " * 40
    assert story_starts(few, 200) == ()
    # "*" inside a word or as emphasis is no bullet; "* * *" rules are
    assert story_starts("a*b *bold* " * 200, 200) == ()


def test_a_digest_scores_its_best_story_alone(tmp_path: Path) -> None:
    rules = _load(tmp_path)
    # one passing "regulation" in one story and "AI rules" in another: 1 + 1 summed, three
    # stories with one mention each reached the threshold together
    stories = list(DIGEST)
    stories[2] += "Someone mentioned regulation in passing. "
    stories[5] += "Another noted new AI rules for chatbots. "
    stories[8] += "A third asked whether the FTC cares. "
    body = "".join(stories)
    assert rules.classify("", body) == []
    assert _score(rules, "", body) == 1
    # the same evidence in one story is that story's subject
    together = list(DIGEST)
    together[4] += "The FTC proposed AI rules, and the regulation was debated; the FTC said so. "
    [match] = rules.classify("", "".join(together))
    assert match.score == 4 and {h.term for h in match.hits} == {
        "FTC",
        "AI NEAR/3 rules",
        "generic: regulation",
    }
    # the snippet and hits come from that story
    assert "FTC proposed" in match.snippet
    # the lede still counts in the first story; a title and a strong term count as before
    first = list(DIGEST)
    first[0] = "* The FTC opened an inquiry. " + first[0][2:]
    assert _score(rules, "", "".join(first)) == 2
    assert _score(rules, "FTC news", body) == 4
    assert _score(rules, "", body + "* The AI Act applies. ") == 4


@pytest.mark.parametrize(
    "text",
    [
        "plain prose without bullets " * 100,  # long, no bullets
        "* a list * of key * points " + "plain prose " * 150,  # long, too few bullets
        " ".join(DIGEST[:2]),  # bullets, too short
    ],
)
def test_a_body_that_is_not_a_digest_sums_its_evidence(tmp_path: Path, text: str) -> None:
    rules = _load(tmp_path)
    body = "Someone mentioned regulation. " + text + " The FTC and AI rules came up."
    assert _score(rules, "", body) == 4  # lede 2 + FTC 1 + AI rules 1


def test_story_words_off_by_default(tmp_path: Path) -> None:
    rules = _load(tmp_path, RULES.replace("    weights: {story_words: 200}\n", ""))
    stories = list(DIGEST)
    stories[2] += "Someone mentioned regulation in passing. "
    stories[5] += "Another noted new AI rules for chatbots. "
    stories[8] += "A third asked whether the FTC cares. "
    assert _score(rules, "", "".join(stories)) == 3
