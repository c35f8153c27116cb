"""AI-safety NEAR pairs marked `specific:` (issue 12, second unlabelled round): one mention in
a short digest line reaches the topic; a pair of an AI word and a common word does not."""

from __future__ import annotations

import pytest

from tests.unit.test_rules_scoring import EN_FILLER, shipped_topics

# Digest lines as AINews writes them: no title, one sentence, the pair past the lede's start.
LEAD = "In other news from the community this week, researchers and users report that "


@pytest.mark.parametrize(
    ("line", "ai_safety"),
    [
        # safeguards stripped or bypassed
        (LEAD + "a new method removed the safeguards within 90 minutes of the model's release.", True),
        # a lab's safety evaluations named as such
        (LEAD + "OpenAI launched a Safety Evaluations Hub for its models.", True),
        # evaluations of alignment or dangerous capabilities
        (LEAD + "the lab published alignment evaluations of its newest model.", True),
        # a system card's risk section
        (LEAD + "the system card lists new cyber risks of the model.", True),
        # AI psychosis
        (LEAD + "chatbots are feeding psychosis in vulnerable users, AI clinicians warn.", True),
        # an AI word next to a common word stays a full-article pair: guardrails as a
        # product's feature, a car's safety tests
        (LEAD + "the model's guardrails hamper its coding output.", False),
        (LEAD + "Tesla published new safety tests of its cars and its AI software.", False),
        (LEAD + "Tesla published safety tests of its Model Y, which runs new AI models.", False),
    ],
)
def test_a_specific_pair_in_a_digest_line(line: str, ai_safety: bool) -> None:
    """One mention of a pair that names the safety work counts as a plain phrase would."""
    assert ("ai-safety" in shipped_topics("", line)) is ai_safety


def test_a_specific_pair_once_in_a_full_article_is_not_enough() -> None:
    body = EN_FILLER + "A new method can bypass the model's safeguards. " + EN_FILLER
    assert "ai-safety" not in shipped_topics("", body)
