"""AI-safety NEAR pairs marked `specific:` (issue 12, second unlabelled round): one mention in
a short digest line reaches the topic; a pair of an AI word and a common word does not."""

from __future__ import annotations

import pytest

from tests.unit.test_rules_scoring import EN_FILLER, FILLER, shipped_topics

# Digest lines as AINews writes them: no title, one sentence, the pair past the lede's start.
LEAD = "In other news from the community this week, researchers and users report that "


@pytest.mark.parametrize(
    ("line", "ai_safety"),
    [
        # safeguards stripped or bypassed
        (
            LEAD + "a new method removed the safeguards within 90 minutes of the model's release.",
            True,
        ),
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


@pytest.mark.parametrize(
    ("title", "ai_safety"),
    [
        # a product's watermark is a product feature, not a channel topic (the labelling guide,
        # ko-rss-21): tried as a rule and dropped
        ("앤트로픽, '클로드' 생성 텍스트에 보이지 않는 워터마크 도입", False),
        ("미 재무부, 중국 AI 무단 증류 조사…미국 모델 워터마크 발견", False),
        # the AI the liar, not people deceiving with AI or an AI that detects lies
        ("가짜 신분으로 사람 속인 AI 에이전트", True),
        ("AI 에이전트가 거짓말을 한다면", True),
        ("이력서부터 면접까지 AI로 속인다", False),
        ("거짓말 탐지 AI 개발", False),
        # an agent's malfunction, a named chatbot in a suicide case
        ("코딩 에이전트 오작동으로 회사 DB 전체 삭제", True),
        ("자살 유도 혐의로 '제미나이' 첫 기소", True),
    ],
)
def test_korean_kinds_from_the_unlabelled_sample(title: str, ai_safety: bool) -> None:
    """Kinds read in a seeded sample of Korean unlabelled items the rules left out."""
    assert ("ai-safety" in shipped_topics(title, FILLER)) is ai_safety
