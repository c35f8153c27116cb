"""Policy recall from a judged sample of unlabelled items (README, "Policy recall from unlabelled
items"): each class of miss with a probe that matches and a near-miss that must not. Probes are
written for the class, not copied from an item."""

from __future__ import annotations

import pytest

from tests.unit.test_rules_scoring import EN_FILLER, FILLER, shipped_topics


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        # a state's attorney general by the headline's short form
        ("Texas AG opens inquiry into a chatbot maker", True),
        ("State AGs press an AI startup on child users", True),
        # a company's legal form is no attorney general
        ("Siemens AG unveils an AI factory assistant", False),
    ],
)
def test_a_state_attorney_general_by_its_short_form(title: str, policy: bool) -> None:
    assert ("policy" in shipped_topics(title, EN_FILLER)) is policy


@pytest.mark.parametrize(
    ("lede", "policy"),
    [
        # 법무 장관 written apart, after a US state's name
        ("텍사스주 법무 장관이 주민 피해 사례를 이유로 챗봇 운영사에 자료 제출을 요구했다.", True),
        # a national justice minister joining a company is not a state acting
        ("전 법무 장관이 주민 피해 사례를 이유로 챗봇 스타트업 고문을 맡았다.", False),
    ],
)
def test_a_state_attorney_general_written_apart(lede: str, policy: bool) -> None:
    assert ("policy" in shipped_topics("업계 소식", lede + " " + FILLER)) is policy


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        # the defence department acting in a headline, the lab's name however far away
        ("DOD signs a contract with a model maker for its logistics agents and AI tooling", True),
        ("Pentagon says the AI lab's usage limits are a risk it will not accept any longer", True),
        # the department as a product story's backdrop
        (
            "Chatbot app downloads climb to the top of the store charts after a Pentagon dispute",
            False,
        ),
    ],
)
def test_the_defence_department_acting_in_a_headline(title: str, policy: bool) -> None:
    assert ("policy" in shipped_topics(title, EN_FILLER)) is policy


@pytest.mark.parametrize(
    ("body", "policy"),
    [
        # a statute invoked against an AI firm, in a one-line digest story
        (
            "Officials may invoke the Defense Production Act to compel the AI lab's cooperation.",
            True,
        ),
        # the same statute without AI is someone else's beat (the topic's AI word)
        ("Officials may invoke the Defense Production Act to speed up ventilator output.", False),
    ],
)
def test_a_statute_invoked_by_its_name(body: str, policy: bool) -> None:
    assert ("policy" in shipped_topics("", body)) is policy


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        # a government's crackdown in a headline is the executive acting
        ("Government crackdown hits smugglers of AI chips", True),
        # a company's own crackdown is moderation
        ("Startup's crackdown on AI spam accounts pays off", False),
    ],
)
def test_a_government_crackdown_in_a_headline(title: str, policy: bool) -> None:
    assert ("policy" in shipped_topics(title, EN_FILLER)) is policy


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        # heads of state meeting on AI or chips (정상회담, spaced or closed)
        ("한-일 정상회담, AI 반도체 협력 확대 합의", True),
        ("G7 정상 회담서 인공지능 접근권 논의", True),
        # 정상회의 is also the name of an AI event at which companies present
        ("인도 AI 정상회의서 기업들 신제품 공개", False),
    ],
)
def test_a_summit_of_heads_of_state_on_ai(title: str, policy: bool) -> None:
    assert ("policy" in shipped_topics(title, FILLER)) is policy


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        # a state as the headline's subject summoning, investigating or indicting
        ("독일, 딥페이크 챗봇 운영사 대표 소환", True),
        ("영국, AI 챗봇 아동 보호 위반 수사", True),
        # a country's name that is not the subject (a company of that country, a former officer)
        ("독일 경찰 출신 창업자, AI 수사 도구 공개", False),
    ],
)
def test_a_state_summoning_or_investigating_in_a_korean_headline(title: str, policy: bool) -> None:
    assert ("policy" in shipped_topics(title, FILLER)) is policy


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        # a state allowing exports or imports of chips is trade control, as restricting them is
        ("중국, 엔비디아 AI 칩 수입 허용 검토", True),
        ("엔비디아 AI 칩 중동 수출 허용", True),
        # exports growing is trade news
        ("엔비디아 AI 칩 중동 수출 증가", False),
    ],
)
def test_exports_allowed_are_trade_control(title: str, policy: bool) -> None:
    assert ("policy" in shipped_topics(title, FILLER)) is policy
