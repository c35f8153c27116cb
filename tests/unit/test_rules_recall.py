"""Classes of rules added for recall on held-out labelled items (bench/shared_labels.py): each
probe is written for the class, not copied from a labelled item."""

from __future__ import annotations

import pytest

from tests.unit.test_rules_scoring import EN_FILLER, FILLER, shipped_topics


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        # a city, county or district (시/군/구) as a headline's subject, running an AI programme:
        # classes, a centre, a budget, a strategy, an adviser
        ("함평군, AI 인재 양성 센터 착공", True),
        ("성동구, 인공지능 교육 예산 두 배로", True),
        ("행정 혁신…논산시, 인공지능 전환(AX) 전략 발표", True),
        # the same body using AI as a tool is operations, not policy; a school is not a government
        ("수원시, AI CCTV로 불법 주정차 단속", False),
        ("대원고, AI 교육 센터 개관", False),
        # a word in 시/군/구 inside the headline is not its subject
        ("AI 교육 플랫폼 출시…서비스 지원 확대", False),
        # a company whose name ends in 시, AX inside a product's name
        ("에듀케시, 기업용 'AXPro' 출시…보안 정책 반영", False),
        # the names of three syllables: a city, a district
        ("남양주시, AI 교육센터 개관", True),
        ("혁신 행정…영등포구, 인공지능 인재 육성 계획", True),
    ],
)
def test_shipped_rules_hear_local_governments_running_ai_programmes(
    title: str, policy: bool
) -> None:
    assert ("policy" in shipped_topics(title, FILLER)) is policy


@pytest.mark.parametrize(
    ("lede", "open_source"),
    [
        # the Korean act of opening: released, distributed or put out as open source
        # (the artefact named further off than the NEAR/1 of 오픈소스 모델)
        ("엔비디아는 4일 새 AI 모델 '네모트론 울트라'를 오픈소스로 출시했다.", True),
        ("연구소는 언어모델 '하늘 7B' 전체를 오픈소스로 배포한다고 밝혔다.", True),
        ("회사는 AI 코딩 도구 '코드런'을 오픈소스로 전격 내놓았다.", True),
        # open source as what something is built with, not a release
        ("회사는 오픈소스로 구성된 도구 모음과 함께 새 AI 서비스를 소개했다.", False),
    ],
)
def test_shipped_rules_hear_a_korean_release_as_open_source(lede: str, open_source: bool) -> None:
    assert ("open-source" in shipped_topics("", lede + " " + FILLER)) is open_source


@pytest.mark.parametrize(
    ("lede", "open_source"),
    [
        # the licence a model's weights come under is the open-weights story wherever it stands
        ("Stability AI loosened the community licence of its image model.", True),
        ("The lab put its new AI model under a research license.", True),
        ("Meta moved the Llama weights to a non-commercial licence.", True),
        # without an AI word a licence is not AI news
        ("The city adopted a community license for its bike-share data.", False),
    ],
)
def test_shipped_rules_count_a_models_licence_terms(lede: str, open_source: bool) -> None:
    assert ("open-source" in shipped_topics("", lede + " " + EN_FILLER)) is open_source


@pytest.mark.parametrize(
    "title",
    [
        # 군 is also an army: a country's forces deploying AI are war news, not a county's programme
        "러시아군, 우크라이나 전선에 AI 드론 투입",
        "북한군, AI 드론 전술 교육 강화",
        "중국군, AI 지휘 체계 구축 전략",
        # a company or a person whose name ends in 시, a common noun ending in 시 or 구
        "웹케시, AI 경리 지원 서비스 출시",
        "카르파시, AI 교육 스타트업 설립",
        "완전 무인…로보택시, AI 투입 확대",
        "대학 공동연구, AI 교육 효과 입증",
        "…공동연구, AI 교육 효과 입증",
    ],
)
def test_only_a_local_government_s_own_name_is_a_local_government(title: str) -> None:
    """Any word ending in 시/군/구 first in a headline read as a city, county or district."""
    assert "policy" not in shipped_topics(title, FILLER)


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        # a county head (군수) next to an AI programme is a local government acting
        ('공영민 군수 "AI 인재 양성에 예산 집중"', True),
        # 군수 is also military supply: an army's logistics model or a defence contractor is not
        # a county's programme
        ("육군과 '군수 특화 AI 모델' 구축 나선다", False),
        ("AI 기업, 군수 산업 진출 본격화", False),
    ],
)
def test_a_county_head_is_not_military_supply(title: str, policy: bool) -> None:
    assert ("policy" in shipped_topics(title, FILLER)) is policy


@pytest.mark.parametrize(
    ("title", "ai_safety"),
    [
        # a lab's staff against its military work: they resign, protest, unionise
        ("앤트로픽 연구원, 펜타곤 계약에 반발해 사임", True),
        ("구글 직원들, AI 군사 협력 반대 공개서한", True),
        # a plain contract is business (and policy), not safety
        ("국내 AI 스타트업, 국방부 계약 수주", False),
        # whether a model is conscious or has welfare
        ('"AI 모델도 의식을 가질 수 있다"…연구자들 논쟁', True),
        ("앤트로픽, 모델 복지 연구 확대", True),
        # bias and stereotypes in a model's answers; not a company's data bias of one product
        ("생성형 AI 답변에 성차별 고정관념…연구팀 분석", True),
        ("챗봇의 편향성 검증한다", True),
        ("언어모델의 연령편향 드러나", True),
        # misuse of a model (오남용); deepfake harm investigated, sued over, punished
        ("생성형 AI 오남용 막는다…가이드 발간", True),
        ("딥페이크 피해자 2천명 넘어…경찰 수사 확대", True),
        # AI used to fabricate evidence or documents
        ("AI로 증거 조작한 일당 기소", True),
        ("인공지능으로 문서 위조…수사 착수", True),
        # AI-made child sexual abuse material; AI that detects it is not AI safety
        ("딥페이크로 만든 아동 성착취물 유포 일당 검거", True),
        ("AI로 아동 성착취물 24시간 탐지", False),
        # an agent as a security threat
        ("AI 에이전트, 기업 보안 위협으로 부상", True),
        ("에이전트가 스팸 500건 발송", True),
    ],
)
def test_shipped_rules_hear_korean_ai_safety_kinds(title: str, ai_safety: bool) -> None:
    assert ("ai-safety" in shipped_topics(title, FILLER)) is ai_safety


@pytest.mark.parametrize(
    ("title", "ai_safety"),
    [
        # a model released with its refusals trained or edited out
        ("Uncensored Llama 4 fine-tune released on Hugging Face", True),
        ("Abliterated Qwen model out now on Hugging Face", True),
        # built on such a base, or benchmarked: not the news
        ("Abliterated base model beats benchmarks in community test", False),
        # an uncensored film is not a model
        ("Uncensored director's cut released in cinemas", False),
        # safeguards against AI-made fakes: provenance, watermarks, content credentials
        ("Google adds SynthID watermarks to AI-generated images", True),
        ("Camera makers join C2PA to label AI-generated photos", True),
        # a watermark without anything made by AI
        ("Bank notes get a new watermark to stop counterfeiters", False),
    ],
)
def test_shipped_rules_hear_english_ai_safety_kinds(title: str, ai_safety: bool) -> None:
    """A released safety-stripped model and provenance of AI-made content are AI safety."""
    assert ("ai-safety" in shipped_topics(title, EN_FILLER)) is ai_safety


@pytest.mark.parametrize(
    ("title", "ai_safety"),
    [
        # whether models are dangerous: the model is what is dangerous
        ("Are Chinese models dangerous? A US lab says no", True),
        ("Retiring a chatbot shows how dangerous AI companions can be", True),
        # danger elsewhere, with AI as a tool or a business model
        ("AI forecasts warn of a dangerous storm surge", False),
        ("A dangerous business model: startups sell AI at a loss", False),
    ],
)
def test_shipped_rules_hear_models_called_dangerous(title: str, ai_safety: bool) -> None:
    """A debate over whether a model is dangerous is AI safety; danger a model forecasts is not."""
    assert ("ai-safety" in shipped_topics(title, EN_FILLER)) is ai_safety
