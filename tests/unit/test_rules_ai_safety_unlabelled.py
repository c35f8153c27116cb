"""AI-safety classes found in a sample of unlabelled real items (issue 12, 2026-12-02): each
probe is written for the class, with a near-miss that must stay out."""

from __future__ import annotations

import pytest

from tests.unit.test_rules_scoring import EN_FILLER, FILLER, shipped_topics


@pytest.mark.parametrize(
    ("title", "ai_safety"),
    [
        # a model held back: its release restricted or gated for what it can do
        ("Lab defends restricting release of its new cyber model", True),
        ("Safety gating decides who gets the next frontier model", True),
        ("Why a chatbot was once too dangerous to release", True),
        # a film's or an album's restricted release is not a model's
        ("Documentary on AI gets a restricted release in cinemas", False),
        # models that escape their overseers, and plans to contain them
        ("Labs have no plan to contain a rogue model", True),
        ("How to stop rogue AI before it spreads", True),
        # a rogue trader is not a model
        ("Rogue trader used AI spreadsheets to hide losses", False),
        # classifiers that screen a model's prompts and outputs for harm
        ("OpenAI releases open safety classifier models", True),
        ("New safeguard models screen chatbot prompts for harm", True),
        # an image classifier is not a safety classifier
        ("New AI classifier sorts product photos by colour", False),
        # safeguards removed: the noun too
        ("Pentagon demands removal of safeguards from AI model", True),
        ("Removal of AI model from app store", False),
    ],
)
def test_shipped_rules_hear_english_ai_safety_kinds_from_unlabelled_items(
    title: str, ai_safety: bool
) -> None:
    """A held-back model, a rogue model, a safety classifier, safeguards' removal are AI safety."""
    assert ("ai-safety" in shipped_topics(title, EN_FILLER)) is ai_safety


@pytest.mark.parametrize(
    ("title", "ai_safety"),
    [
        # the debate itself: safety-first and risk views of AI, as a noun with 론
        ('"AI 안전론의 역설"…앤트로픽 둘러싼 시선 변화', True),
        ("AI 위험론 중심 정책에 반대 목소리", True),
        # 안전론 of something else
        ("원전 안전론 다시 부상", False),
        # classifiers that screen a model's answers for harm
        ("앤트로픽, 안전 분류기 고도화…오탐 85% 줄였다", True),
        ("AI 이미지 분류기 출시…상품 사진 자동 정리", False),
        # bias and stereotypes of AI itself, with a particle (AI의 편향), and 생성 AI
        ("AI의 고정관념, 노인에게 불리했다", True),
        ("생성 AI 편향성 연구 결과 발표", True),
        # AI that finds bias in people's decisions is a tool, not AI's bias
        ("AI로 채용 심사관 편향 찾는다", False),
        # access to a dangerous model limited (제한적 접근)
        ("앤트로픽, 미소스 제한적 접근 정책 바꾼다", True),
        ("전시장 제한적 접근 허용", False),
    ],
)
def test_shipped_rules_hear_korean_ai_safety_kinds_from_unlabelled_items(
    title: str, ai_safety: bool
) -> None:
    """AI 안전론/위험론, 안전 분류기, AI's own bias and restricted access are AI safety."""
    assert ("ai-safety" in shipped_topics(title, FILLER)) is ai_safety


@pytest.mark.parametrize(
    ("title", "body", "ai_safety"),
    [
        # sycophancy said once in a short teaser, a word or more away from its model
        (
            "How memory tools can make assistants worse",
            "New research suggests that memory systems degrade AI performance and encourage"
            " sycophantic tendencies over long conversations with their users.",
            True,
        ),
        # sycophantic people, with no AI word, stay out
        (
            "Courtiers grew sycophantic as the king aged",
            "Historians describe a court where flattery replaced advice.",
            False,
        ),
    ],
)
def test_shipped_rules_hear_sycophancy_in_a_short_teaser(
    title: str, body: str, ai_safety: bool
) -> None:
    """Sycophancy is the model's: one mention in a teaser counts with the short-item weight."""
    assert ("ai-safety" in shipped_topics(title, body)) is ai_safety
