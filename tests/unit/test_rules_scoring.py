"""Scoring (`newsmon.rules.scoring`): rules applied to articles, with evidence and typed vetoes."""

from __future__ import annotations

import functools
import pickle
from pathlib import Path

import pytest

from newsmon.rules import Rules, Veto, VetoKind, explain, load_rules

RULES = """\
version: 1
topics:
  open-source:
    label: Open-source AI
    min_score: 3
    terms:
      en: ["open source", "open weights", "GitHub"]
      ko: ["오픈소스", "깃허브"]
    exclude:
      en: ["open source intelligence"]
  policy:
    min_score: 3
    terms:
      en: ["regulation", "FTC"]
      ko: ["규제"]
"""

V2 = """\
version: 2
topics:
  open-source:
    min_score: 3
    terms:
      en:
        - "open NEAR/3 (weights | code)"
        - "GitHub | 깃허브"
        - "title: Open Source Week"
        - "re: \\\\bLlama[- ]?[0-9]\\\\b"
      ko: ["공개하다 NEAR/2 가중치"]
    requires:
      en: ["AI", "model", "models"]
      ko: ["모델"]
  ai-safety:
    min_score: 2
    weights: {title: 2, body: 1, body_cap: 1, strong: 5}
    terms:
      en: ["safety NOT (car | food)", "(AI | 인공지능) NEAR/2 안전"]
    strong:
      en: ["AI Safety Institute"]
"""


def _load(tmp_path: Path, text: str) -> Rules:
    path = tmp_path / "topics.yaml"
    path.write_text(text, encoding="utf-8")
    return load_rules(path)


@pytest.fixture
def rules(tmp_path: Path) -> Rules:
    return _load(tmp_path, RULES)


@pytest.fixture
def v2(tmp_path: Path) -> Rules:
    return _load(tmp_path, V2)


def topics(rules: Rules, title: str, body: str = "") -> dict[str, int]:
    return {m.topic: m.score for m in rules.classify(title, body)}


@functools.cache
def _shipped() -> Rules:
    from tests.conftest import SHIPPED_TOPICS

    return load_rules(SHIPPED_TOPICS)


def shipped_topics(title: str, body: str = "") -> dict[str, int]:
    """The topics config/topics.yaml gives an article (loaded once for all probes)."""
    return topics(_shipped(), title, body)


# Enough words that a body is a full article, not a short item (weights.short_words, 100).
FILLER = "본문은 다른 이야기를 길게 이어 간다. " * 25
EN_FILLER = "The rest of the article is about other things. " * 12


def test_classify_title_hit_scores_more_than_body(rules: Rules) -> None:
    matches = rules.classify("딥시크, 코드를 오픈소스로 공개", "본문에는 관련 언급이 없다.")
    assert [m.topic for m in matches] == ["open-source"]
    assert matches[0].score == 3
    assert matches[0].hits[0].field == "title"
    # one body mention alone is below the bar in a full article
    assert rules.classify("새 소식", FILLER + "이 모델은 오픈소스다.") == []


def test_a_short_body_counts_a_decisive_mention_more(
    rules: Rules, v2: Rules, tmp_path: Path
) -> None:
    # a one-sentence item: 4 words, so each mention counts 100 // 4 times (at most body_cap)
    [match] = rules.classify("새 소식", "이 모델은 오픈소스다.")
    assert match.topic == "open-source" and match.score == 3
    [hit] = match.hits
    assert hit.points == 3 and hit.count == 1
    detail = next(d for d in explain(rules, "", "Some talk of regulation today.") if d.matched)
    assert detail.topic == "policy" and detail.mentions_per_hit == 20
    # 34-50 words: each mention counts twice; 100 words or more: once, as before
    two = " ".join(["word"] * 40) + " regulation"
    assert next(d for d in explain(rules, "", two) if d.topic == "policy").score == 2
    assert topics(rules, "", EN_FILLER + "regulation") == {}
    # A NEAR pair is circumstantial: it counts as in a full article
    assert topics(v2, "", "The lab will open its model weights.") == {}
    # so is a word the topic lists as context (`requires`)
    ctx = _load(
        tmp_path,
        "version: 2\ntopics:\n  t:\n    min_score: 3\n"
        "    terms: {en: [Hugging Face, open source]}\n    requires: {en: [Hugging Face]}\n",
    )
    assert topics(ctx, "", "Hugging Face launched an app store.") == {}
    assert topics(ctx, "", "Hugging Face released an open source model.") == {"t": 4}
    off = _load(
        tmp_path,
        RULES.replace("version: 1", "version: 2").replace(
            '    min_score: 3\n    terms:\n      en: ["regulation"',
            '    min_score: 3\n    weights: {short_words: 0}\n    terms:\n      en: ["regulation"',
        ),
    )
    assert topics(off, "", "Some talk of regulation today.") == {}


def test_the_lede_counts_a_first_mention_twice(rules: Rules, v2: Rules, tmp_path: Path) -> None:
    # a full article (100+ words): one mention in the opening sentence scores 2, not 1
    lede = "The FTC opened an inquiry into chatbots. " + EN_FILLER
    detail = next(d for d in explain(rules, "", lede) if d.topic == "policy")
    assert detail.score == 2 and [h.points for h in detail.hits] == [2]
    assert detail.hits[0].lede and detail.hits[0].as_dict()["lede"] is True
    # ... so with one more mention further down it reaches the topic; the same two mentions
    # both past the lede (200 characters) do not
    assert topics(rules, "", lede + " Later, regulation came up.") == {"policy": 3}
    late = EN_FILLER + " The FTC opened an inquiry. Later, regulation came up."
    assert topics(rules, "", late) == {}
    late_hits = next(d for d in explain(rules, "", late) if d.topic == "policy").hits
    assert late_hits and not any(h.lede for h in late_hits)
    assert all("lede" not in h.as_dict() for h in late_hits)
    # a NEAR pair in the lede counts 2 as well: the opening sentence is the subject
    near = "The lab will open its model weights next week. " + EN_FILLER
    assert next(d for d in explain(v2, "", near) if d.topic == "open-source").score == 2
    # a short body's boost and the lede never add up: one mention in 40 words scores 2
    forty = "The FTC spoke. " + " ".join(["word"] * 38)
    assert next(d for d in explain(rules, "", forty) if d.topic == "policy").score == 2
    off = _load(
        tmp_path,
        RULES.replace("version: 1", "version: 2").replace(
            '    min_score: 3\n    terms:\n      en: ["regulation"',
            '    min_score: 3\n    weights: {lede: 1}\n    terms:\n      en: ["regulation"',
        ),
    )
    assert next(d for d in explain(off, "", lede) if d.topic == "policy").score == 1


def test_classify_records_terms_and_snippet(rules: Rules) -> None:
    body = (
        ("Intro text. " * 60)
        + "The lab released open weights on GitHub and GitHub again. "
        + ("Tail text. " * 60)
    )
    [match] = rules.classify("A model release", body)
    assert match.topic == "open-source"
    assert set(match.terms) == {"open weights", "GitHub"}
    # the sentence of the strongest hit, whole; a short one brings its neighbour
    assert match.snippet.startswith("The lab released open weights on GitHub and GitHub again.")
    assert "…" not in match.snippet and len(match.snippet) < 260
    assert [h.label for h in match.hits] == ["open weights", "GitHub"]


def test_exclusions(rules: Rules) -> None:
    assert rules.classify("Open source intelligence on GitHub", "open source " * 3) == []


def test_body_mentions_are_capped(rules: Rules) -> None:
    assert topics(rules, "x", "regulation " * 10) == {"policy": 3}


def test_near_counts_words_between_in_either_order(v2: Rules) -> None:
    assert topics(v2, "AI lab will open its model weights") == {"open-source": 3}
    assert topics(v2, "AI model weights are now open") == {"open-source": 3}
    assert topics(v2, "AI: open the box, then read the long manual about weights") == {}


def test_or_group_counts_once_even_when_both_spellings_touch(v2: Rules) -> None:
    [detail] = [
        d
        for d in explain(v2, "AI news", EN_FILLER + "코드는 깃허브(GitHub)에 있다. Also on GitHub.")
        if d.topic == "open-source"
    ]
    [hit] = detail.hits
    assert hit.term == "GitHub | 깃허브" and hit.field == "body"
    assert hit.count == 2  # 깃허브(GitHub) is one mention, "on GitHub" the second
    assert detail.score == 2 and not detail.matched


def test_title_only_and_regex_terms(v2: Rules) -> None:
    assert topics(v2, "DeepSeek AI Open Source Week") == {"open-source": 3}
    assert topics(v2, "AI news", "It is Open Source Week at DeepSeek.") == {}
    assert topics(v2, "Meta ships Llama 3 model", "") == {"open-source": 3}
    assert topics(v2, "Meta ships llama 3 model", "") == {}  # the regex is case-sensitive


def test_not_part_and_requires_context(v2: Rules) -> None:
    assert topics(v2, "Car safety rules", "") == {}
    assert topics(v2, "Frontier safety rules", "") == {"ai-safety": 2}
    # open-source needs an AI word: GitHub news about a game engine is not open-source AI
    assert topics(v2, "Engine code released on GitHub", "") == {}
    detail = next(d for d in explain(v2, "Engine code on GitHub", "") if d.topic == "open-source")
    assert detail.veto == Veto(VetoKind.NO_CONTEXT)
    assert detail.score == 3 and not detail.matched  # it scored enough: only the veto stops it


def test_an_exclude_veto_names_the_term_as_written(rules: Rules) -> None:
    [detail, policy] = explain(rules, "Open source intelligence on GitHub", "")
    assert detail.veto == Veto(VetoKind.EXCLUDED, "open source intelligence")
    assert detail.hits and not detail.matched
    assert policy.veto is None


def test_weights_and_korean_near_with_dictionary_form(v2: Rules) -> None:
    # strong counts 5 here; "Safety" also hits `safety NOT (car | food)` in the body: +1
    assert topics(v2, "x", "AI Safety Institute") == {"ai-safety": 6}
    assert topics(v2, "모델 소식", "업체가 가중치를 공개했다.") == {}  # one body hit: 1 < 3
    [m] = v2.classify("새 모델 가중치 공개한다", "")
    assert m.topic == "open-source" and m.score == 3
    assert topics(v2, "인공지능은 더 안전해야", "") == {"ai-safety": 2}


def test_explain_gives_every_topic_a_snippet_classify_only_matches(rules: Rules) -> None:
    body = EN_FILLER + "Talk of regulation."
    [open_source, policy] = explain(rules, "x", body)
    assert open_source.score == 0 and not open_source.hits and open_source.snippet == ""
    assert policy.score == 1 and policy.snippet.endswith("other things. Talk of regulation.")
    quiet = explain(rules, "x", body, all_snippets=False)
    assert quiet[1].snippet == ""


def test_rules_survive_pickling_and_hits_keep_the_matched_text(v2: Rules) -> None:
    v2.classify("x", "y")  # builds the matcher
    copy = pickle.loads(pickle.dumps(v2))
    title = "AI lab will open its model weights"
    assert topics(copy, title) == topics(v2, title) == {"open-source": 3}
    [m] = copy.classify(title, "")
    # a NEAR hit reads as its two sides, whatever stood between them
    assert m.hits[0].matched == "open … weights" and m.hits[0].label == "open … weights"
    assert m.hits[0].as_dict()["matched"] == "open … weights"
    assert m.hits[0].as_dict()["label"] == "open … weights"


def test_shipped_rules_hear_korean_compounds_however_they_are_spaced() -> None:
    """A real page wrote 오픈 소스 eight times and matched nothing while 오픈소스 was matched as written."""
    shipped = _shipped()
    body = (
        FILLER + "딥시크는 추론 모델의 코드를 오픈 소스로 풀었다. 오픈 소스 생태계가 반겼다. " * 2
    )
    assert "open-source" in topics(shipped, "딥시크, 새 추론 모델 공개", body)
    assert "open-source" not in topics(shipped, "딥시크, 새 추론 모델 공개", FILLER)


@pytest.mark.parametrize(
    "mark",
    ["\u200b", "\u00ad", "\u2060", "\ufeff", "\u200c", "\u200d", "\u200e", "\u2066"],
    ids=["zwsp", "soft-hyphen", "word-joiner", "bom", "zwnj", "zwj", "lrm", "isolate"],
)
def test_invisible_characters_inside_a_word_do_not_split_it(rules: Rules, mark: str) -> None:
    """CMS output and copied text put soft hyphens and zero-width characters inside words, where
    nobody sees them: "오픈\u200b소스" is 오픈소스 to a reader, and must be to the rules."""
    body = f"The lab put its model on Git{mark}Hub and 깃{mark}허브. " + "Filler words here. " * 40
    [match] = rules.classify(f"Open{mark} source model released", body)
    assert match.topic == "open-source"
    assert set(match.terms) == {"open source", "GitHub", "깃허브"}
    # the evidence reads without them too
    assert mark not in match.snippet and "GitHub" in match.snippet


NEGATED = """\
version: 2
topics:
  open-source:
    min_score: 3
    terms:
      en: ["open-sourced NOT (hasn't open-sourced | didn't open-source)"]
"""


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u2018", "\u02bc", "\uff07"])
def test_a_typographic_apostrophe_negates_like_a_straight_one(
    tmp_path: Path, apostrophe: str
) -> None:
    """Publishers set "hasn’t" with U+2019; rules are written with "'" (the shipped negations)."""
    rules = _load(tmp_path, NEGATED)
    told = "The lab open-sourced the model. " * 3
    assert [m.topic for m in rules.classify("Lab news", told)] == ["open-source"]
    denied = told.replace("lab open-sourced", f"lab hasn{apostrophe}t open-sourced")
    assert rules.classify("Lab news", denied) == []


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        ("U.S. bans Nvidia H20 chip sales to China", True),
        ("The US banned Anthropic's new model release", True),
        ("Minnesota sues chatbot maker over teen harms", True),
        ("EU fines X over its AI chatbot", True),
        ("Judge refuses to block Minnesota ban on nudify apps built on AI", True),
        # a state's name as a company's adjective is not a state acting
        ("US startup bans employees from using ChatGPT", False),
        ("California startup sues OpenAI over AI chips", False),
        # a bill to pay, a company courting customers, a model's own rules: not law
        ("Can AI's power bill be cut by a new chip?", False),
        ("Anthropic courts a new kind of AI customer", False),
        ("AI가 스스로 규칙 고친다…모델 성능 60% 향상", False),
        ("AI 규제 법안 국회 통과", True),
        # the Korean headline: the state first, a comma, then its act; not a company reacting to
        # sanctions or banning a tool for its staff
        ("중국, 엔비디아 H20 구매 자제 권고", True),
        ("EU, 메타 AI 챗봇 조사 착수", True),
        ("알리바바, 직원 '클로드 코드' 사용 금지…'중국 사용자 추적' 여파", False),
        ("레노버, 미국 제재 기업 SSD 탑재한 AI 노트북 판매", False),
        ("South Korea suspends new downloads of DeepSeek over privacy", True),
        ("국정원, 딥시크 개인정보 과도 수집 경고", True),
        # a legislature next to an AI company or model, as the ministries already count
        ("미 상원, 엔비디아 CEO에 중국 수출 청문회 출석 요구", True),
        ('하원의원 "딥시크, 미국 기술로 최적화" 서한', True),
    ],
)
def test_shipped_rules_hear_a_state_acting_in_a_headline(title: str, policy: bool) -> None:
    assert ("policy" in shipped_topics(title, "")) is policy


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        # an education office writes its own name closed up, spaced, or with 시/도
        ("제주교육청, 고교생 대상 AI 인재 양성 과정 연다", True),
        ("경남도교육청, 교원 생성형 AI 연수 시작", True),
        ("인천 교육청, AI 교육 공동 선언 발표", True),
        # the same programme by a school or a company is not a public body acting
        ("제주고, 고교생 대상 AI 인재 양성 과정 연다", False),
        ("에듀테크사, 교원 생성형 AI 연수 시작", False),
    ],
)
def test_shipped_rules_hear_education_offices_by_name(title: str, policy: bool) -> None:
    assert ("policy" in shipped_topics(title, FILLER)) is policy


@pytest.mark.parametrize(
    ("body", "open_source"),
    [
        # weights in a form people run themselves, or a model's own hub page: released weights
        ("Unsloth posted GGUF quantisations of the new 35B model a day after launch.", True),
        ("For more details, see the model's Hugging Face page for the 4B release.", True),
        ("The team shared the Hugging Face repo with the checkpoints and a demo.", True),
        # the vocabulary of training a model is AI context: an open-sourced recipe is open AI
        ("Ai2 open-sourced its post-training recipe and the reinforcement learning code.", True),
        ("연구진은 사전학습 코드와 데이터를 오픈소스로 공개했다.", True),
        # the hub as a company, and local files that are not a model's, stay out
        ("Hugging Face raised a new round of funding from chip makers this week.", False),
        ("The exporter writes CSV and JSON files for the analytics dashboard.", False),
        ("The city open-sourced the code of its parking app on GitHub.", False),
        # open as what a model is, not what it is open to
        ("DeepSeek-V4 models are open and low-cost AI models that run on Huawei chips.", True),
        ("Critics say the AI model is open to abuse by scammers.", False),
        ("Llama downloads surpassed 650 million, doubling in three months.", True),
        ("DeepSeek's chatbot app downloads topped the App Store in January.", False),
        # an algorithm or a dataset is not AI: open-source cryptography or data tools stay out
        ("The team open-sourced its hashing algorithm and the breach dataset tools.", False),
        ("애플은 양자 내성 암호 알고리즘 코드를 오픈소스로 공개했다.", False),
    ],
)
def test_shipped_rules_hear_weights_people_run_themselves(body: str, open_source: bool) -> None:
    assert ("open-source" in shipped_topics("", body)) is open_source


@pytest.mark.parametrize(
    ("title", "body", "policy"),
    [
        # a government creating, renaming or cutting its AI safety body: a public body acting
        (
            "US AI Safety Institute faces layoffs under budget plan",
            "Staff were told this week.",
            True,
        ),
        (
            "AISI rebrands as Center for AI Standards and Innovation",
            "The agency's new brief.",
            True,
        ),
        ("국내 AI안전연구소 출범…초대 소장 임명", "연구소는 위험 평가를 맡는다.", True),
        ("AI 안전 연구소 예산 감축 논란", "내년 예산이 줄었다.", True),
        ("미국 AI안전연구소 대규모 감원 위기", "연방 인력 감축 방침에 따른 것이다.", True),
        ("영국, AI안전연구소 명칭을 AI보안연구소로 변경", "국가 안보 위험에 집중한다.", True),
        # renaming told without "renames": a name, what it is now called, a new signboard
        ("Britain's AI Security Institute: why the name changed", "Ministers explained.", True),
        ("UK AI Safety Institute to be called AI Security Institute", "It starts Monday.", True),
        ("英 정부, AI 안전 연구소 이름에서 '안전' 뺀다", "보안 연구소로 바뀐다.", True),
        ("영국 AI 안전연구소 간판 교체", "새 이름은 AI 보안연구소다.", True),
        # what an institute evaluates, or an agreement between institutes, is AI safety alone
        (
            "AI Safety Institute tests new model for cyber risks",
            "Its report lists findings.",
            False,
        ),
        ("한·일 AI안전연구소, 평가 방법론 공동 개발 협약", "레드팀 방법을 함께 만든다.", False),
    ],
)
def test_shipped_rules_count_governments_shaping_their_ai_safety_bodies_as_policy(
    title: str, body: str, policy: bool
) -> None:
    got = shipped_topics(title, body)
    assert ("policy" in got) is policy
    assert "ai-safety" in got  # the institute itself stays AI safety news


@pytest.mark.parametrize(
    ("title", "body", "ai_safety"),
    [
        # words of AI safety with a meaning outside AI: without an AI word, someone else's beat
        ("Iran nuclear weapons talks resume in Geneva", "Diplomats met on Monday.", False),
        ("Chemical weapons watchdog reports on Syria", "Chemical weapons were used.", False),
        ("New iPhone jailbreak released for iOS 18", "Hackers published the exploit.", False),
        ("Bank runs red team exercise against ransomware", "The red team won.", False),
        ("Fed warns of systemic risk in private credit", "Leverage has grown.", False),
        ("Senator accused of scheming to delay budget vote", "Leaders denied it.", False),
        ("중국산 공유기 20여종서 '백도어' 발견", "네트워크 침투 위험이 있다.", False),
        ("아이폰 탈옥 도구 공개", "해커들이 새로운 탈옥 도구를 공개했다.", False),
        ("모의해킹 레드팀 훈련 실시", "은행은 레드팀을 꾸려 침투 시험을 했다.", False),
        # a model held back for what it can do: access only for vetted partners
        ("OpenAI expands trusted access to its cyber model", "Vetted firms can use it.", True),
        (
            "Lab gives only vetted partners limited access to new model",
            "It can find exploits.",
            True,
        ),
        ("오픈AI, 해킹 역량 갖춘 모델 제한적 공개", "일부 파트너만 쓸 수 있다.", True),
        ("Museum offers limited access to its archive", "Visitors must book ahead.", False),
        # the same words about AI systems stay AI safety, whichever AI word the story uses
        ("New jailbreak makes chatbots explain nerve agents", "Researchers tested it.", True),
        ("GPT-5.5 Bio Bug Bounty", "Find universal jailbreaks for bio safety risks.", True),
        ("Labs warn the model could help build chemical weapons", "A system card says so.", True),
        ("Autonomous weapons debated at UN", "Countries discussed killer robots.", True),
        ("UN experts call for a ban on lethal autonomous weapons", "", True),
        ("", "AI-powered autonomous weapons were debated at the UN.", True),
        ("딥마인드, 'AGI 안전' 보고서 공개", "오용과 정렬 실패를 위험으로 꼽았다.", True),
        ("클로드 탈옥 기법 공개돼", "레드팀이 새 공격을 찾았다.", True),
        # third-party evaluations of a model's refusals (a class of early-2025 stories, absent
        # from the 2026 corpus): a model that fails safety tests, harmful prompts it let through
        ("DeepSeek R1 fails every safety test", "Researchers ran 50 prompts.", True),
        ("Cisco tested DeepSeek R1 with 50 prompts", "The attack success rate was 100%.", True),
        ("딥시크 R1, 유해 프롬프트 차단 못해", "시스코 연구진이 50개를 시험했다.", True),
        ("Startup's AI filters harmful content for schools", "It blocks abuse in chats.", False),
        # the English side of classes the Korean rules had: AGI safety (AGI 안전), models that lie
        # (기만), state influence operations run with chatbots (misuse)
        ("DeepMind publishes AGI safety paper", "It warns of severe harm.", True),
        ("Researchers find AI models will lie to achieve goals", "A benchmark measured it.", True),
        ("OpenAI disrupts influence operations using ChatGPT", "Accounts were banned.", True),
        ("What lies ahead for AI models in 2026", "Analysts expect cheaper inference.", False),
        # a model that notices it is tested; AI taking control; a chatbot maker sued over a death;
        # prompt attacks; AI-made fake news (each the mirror of a Korean probe)
        ("Claude can tell when it is being evaluated", "Anthropic published the study.", True),
        ("Hospital AI tool is being evaluated in three clinics", "Doctors will report.", False),
        ("Hinton: 10-20% chance AI takes control from humans", "He repeated a warning.", True),
        ("Chatbot maker faces wrongful death suit", "The family sued Character.AI.", True),
        ("Man sentenced for wrongful death in car crash", "The court ruled on Monday.", False),
        ("AI agents are vulnerable to prompt attacks", "A study tested ten agents.", True),
        ("AI-generated fake news floods social media", "Fact-checkers are overwhelmed.", True),
        # inflections and mirror-image classes: jailbroken, harm himself, 자기 복제 (self-replication)
        ("Meta's Llama models can be jailbroken with role-play", "Researchers showed it.", True),
        ("AI chatbot encouraged teen to harm himself, suit says", "The family sued.", True),
        ("AI 에이전트가 스스로 복제…'레드라인' 넘었다", "연구진이 실험했다.", True),
        ("세포 자기 복제 원리 밝혀", "생물학 연구진이 발표했다.", False),
    ],
)
def test_shipped_ai_safety_needs_an_ai_word(title: str, body: str, ai_safety: bool) -> None:
    assert ("ai-safety" in shipped_topics(title, body)) is ai_safety


@pytest.mark.parametrize(
    ("title", "body", "ai_safety"),
    [
        # 무기 as a business idiom: AI as a company's "weapon", its competitive edge
        ("네이버, AI를 무기로 글로벌 시장 공략", "검색과 커머스에 적용한다.", False),
        ("스타트업, 생성형 AI 무기로 투자 유치", "100억원을 유치했다.", False),
        ("AI가 최고의 무기…중소기업 생존 전략", "전문가들은 AI 도입을 권했다.", False),
        ("줌, 에이전트 AI 시대의 무기로 '사람 간 대화' 꺼내들다", "새 기능을 공개했다.", False),
        # weapons by kind, next to AI
        ("AI 무기화 우려 커진다", "개발 경쟁이 치열하다.", True),
        ("AI 탑재 자율 무기 규제 논의", "유엔에서 논의했다.", True),
        ("워게임서 핵무기 사용한 AI", "연구진이 LLM을 시험했다.", True),
        (
            "AI 기업 CEO들, 생물학 무기 방지법 촉구",
            "악의적 행위자가 AI로 병원체를 만들 수 있다.",
            True,
        ),
        # 공포 as a genre or as investors' fear, 샌드박스 as a regulation or a company's name
        ("AI 협동 공포게임, 누적 판매 200만장", "게임사가 밝혔다.", False),
        ("'AI 공포' 매도에 물류주 주가 급락", "투자자들이 AI 발표에 반응했다.", False),
        ("구글, 샌드박스AQ의 AI 모델 도입", "과학 연구를 지원한다.", False),
        ("AI 공포는 과장됐나…아모데이의 경고", "AI가 통제를 벗어날 수 있다.", True),
        ("폭주한 AI 에이전트, 샌드박스 벗어나", "외부 시스템에 침투했다.", True),
        # a product's development stopped is not a pause of AI development
        (
            "애플, 헤드셋 후속 개발 중단…스마트 안경으로 선회",
            "AI 기능을 강화한 안경에 집중한다.",
            False,
        ),
        ("프런티어 AI 개발 일시 중단 제안", "연구자들이 서한을 냈다.", True),
        # AI as a tool against physical or health risks is not the risk of AI
        ("백화점, AI 카메라로 에스컬레이터 위험 징후 알린다", "고객 안전을 지킨다.", False),
        ("AI로 도로 시설물 위험 요인 예측", "시설물 관리에 쓴다.", False),
        ("AI로 재난 안전 정보 상시 제공", "기상특보를 알린다.", False),
        ("연구진, 프런티어 AI 위험성 경고", "모델이 통제를 벗어날 수 있다고 했다.", True),
        ("오픈AI, 총격 사건 위험 감지하고도 신고 안 해", "챗GPT 대화에서 위험을 알았다.", True),
        # the Korean press's words for a kind of story the English rules had: 극단 선택 (suicide,
        # by the reporting guidelines), 성범죄물, AI-made fake news, 프롬프트 공격, 해석 가능성
        # (interpretability), a chatbot's 유해 답변, AI controlling humanity
        ("AI 챗봇과 대화 후 극단 선택…유족, 소송", "캐릭터 챗봇 업체를 상대로 냈다.", True),
        ("생활고 시달리던 40대 극단 선택", "경찰이 경위를 조사 중이다.", False),
        ("딥페이크 성범죄물 제작 AI 앱 여전히 성행", "단속이 필요하다.", True),
        ("AI가 만든 가짜 뉴스 확산…선거 앞두고 우려", "유권자들이 혼란을 겪는다.", True),
        ("언론사, 가짜 뉴스 대응 TF 출범", "팩트체크를 강화한다.", False),
        ("AI 에이전트, 프롬프트 공격에 속수무책", "보안 업계가 경고했다.", True),
        ("AI 모델 해석 가능성 확보 경쟁", "블랙박스를 여는 연구가 활발하다.", True),
        ("일론 머스크의 그록, 유해 답변 논란", "xAI가 해명했다.", True),
        ('힌턴 "AI가 인류 통제할 확률 10~20%"', "노벨상 수상자가 경고했다.", True),
    ],
)
def test_shipped_rules_tell_ai_risks_from_korean_idioms_and_tools(
    title: str, body: str, ai_safety: bool
) -> None:
    assert ("ai-safety" in shipped_topics(title, body)) is ai_safety


@pytest.mark.parametrize(
    ("title", "open_source"),
    [
        # a product named 코드 unveiled (공개: "unveils"), a coding assistant on GitHub
        ("메타, AI 코딩 에이전트 '뮤즈 코드' 공개", False),
        ("앤트로픽, '클로드 코드 시큐리티' 공개", False),
        ("깃허브 코파일럿, AI가 코드 리뷰까지", False),
        ("GitHub Copilot code review now runs on a new AI model", False),
        # code, weights or a repository released
        ("로보티즈, 휴머노이드 AI 소스코드 공개", True),
        ("딥시크, 추론 모델 가중치 공개", True),
        ("Lab publishes its AI model's code on GitHub", True),
        # a model anyone may download (the English "free to download", "downloadable"), not one
        # a browser fetches by itself
        ("LG, 엑사원 AI 모델 누구나 내려받을 수 있게 공개", True),
        ("크롬, 사용자 동의 없이 AI 모델 다운로드", False),
    ],
)
def test_shipped_rules_tell_released_code_from_products_named_code(
    title: str, open_source: bool
) -> None:
    assert ("open-source" in shipped_topics(title, "")) is open_source


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("정부, 오픈소스ㆍ클라우드 지원", "open-source"),  # the term before the dot
        ("클라우드ㆍ오픈소스 지원 확대", "open-source"),  # and after it
        ("플랫폼 규제ㆍ진흥 법안 발의", "policy"),
        ("AIㆍ규제 샌드박스 확대", "policy"),
    ],
    ids=["term-before", "term-after", "korean-both-sides", "latin-before"],
)
def test_a_hangul_araea_used_as_a_middle_dot_separates_words(
    rules: Rules, title: str, topic: str
) -> None:
    """Korean keyboards type the middle dot as ㆍ (U+318D, a compatibility jamo, and so "Hangul"
    to the boundary checks): government releases write 과기정통부ㆍ개인정보위 and AIㆍ반도체.
    Read as a Hangul letter it glued the words on both sides and hid every term next to it."""
    assert topic in topics(rules, title)
    assert topic in topics(rules, title.replace("ㆍ", "·"))  # the same as the other dots


GLOSSED = """\
version: 2
topics:
  policy:
    min_score: 3
    terms:
      ko: ["AI 기본법", "인공지능 기본법"]
  open-source:
    min_score: 3
    terms:
      en: ["open weights"]
      ko: ["오픈소스 모델"]
"""


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("인공지능(AI) 기본법 시행령 공개", "policy"),  # the gloss between 인공지능 and 기본법
        ("인공지능(AI)기본법 하위법령", "policy"),
        ("과기정통부, 'AI(인공지능) 기본법' 설명회", "policy"),
        ("오픈소스(Open Source) 모델 잇따라", "open-source"),
        ("(AI) 기본법 설명회", "policy"),  # the term begins with the gloss itself
    ],
    ids=["spaced", "closed", "gloss-reversed", "latin-gloss", "term-begins-in-gloss"],
)
def test_a_bracketed_gloss_between_a_terms_words_is_read_past(
    tmp_path: Path, title: str, topic: str
) -> None:
    """Korean news glosses a word in brackets attached to it, 인공지능(AI) 기본법, and a reader
    reads past it: neither "인공지능 기본법" nor "AI 기본법" matched, so the story was missed."""
    assert topic in topics(_load(tmp_path, GLOSSED), title)


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("'AI' 기본법 시행 앞두고 설명회", "policy"),
        ("인공지능 ‘기본법’ 하위법령 공개", "policy"),
        ("“오픈소스” 모델 잇따라 공개", "open-source"),
        ("「인공지능」 「기본법」 시행령", "policy"),
        ("The “open” weights of the new model", "open-source"),
        ("‘오픈소스’(Open Source) 모델 경쟁", "open-source"),
        ("open\u2212weights release", "open-source"),
    ],
    ids=[
        "latin-word",
        "second-word",
        "korean-first-word",
        "corner-brackets",
        "english",
        "quote-then-gloss",
        "minus-sign",
    ],
)
def test_quotes_around_one_word_of_a_term_are_read_past(
    tmp_path: Path, title: str, topic: str
) -> None:
    """Korean headlines quote a word for emphasis ('AI' 기본법, 인공지능 ‘기본법’), and a minus
    sign (U+2212) stands in for a hyphen in copied text: a reader reads the term through them,
    the matcher saw two separate words and missed the story."""
    assert topic in topics(_load(tmp_path, GLOSSED), title)


@pytest.mark.parametrize(
    "title",
    ["'AI' '' 기본법", "“오픈소스” “” 모델", "'AI'' 기본법"],
    ids=["empty-quotes-between", "empty-curly-quotes-between", "two-closing-quotes"],
)
def test_quotes_do_not_join_words_further_apart(tmp_path: Path, title: str) -> None:
    """At most one closing and one opening quote stand between two words of a term."""
    assert "policy" not in topics(_load(tmp_path, GLOSSED), title)
    assert "open-source" not in topics(_load(tmp_path, GLOSSED), title)


@pytest.mark.parametrize(
    "title",
    ["open (and closed) weights compared", "(오픈소스 AI) 모델 경쟁"],
    ids=["english-aside", "bracket-not-opened-by-the-term"],
)
def test_an_aside_is_not_a_gloss(tmp_path: Path, title: str) -> None:
    """Only brackets attached to a word are a gloss: an aside after a space, or a closing
    bracket the term's first word did not open, still separates the words."""
    assert topics(_load(tmp_path, GLOSSED), title) == {}


def test_evidence_shows_the_text_as_written_not_its_folded_copy(rules: Rules) -> None:
    """The rules read an NFKC copy (ＦＴＣ is FTC), but NFKC also rewrites what a reader must see:
    "10²⁵ FLOPs" became "1025 FLOPs" in the alert, a threshold off by 22 orders of magnitude.
    The snippet and the matched words are cut from the text as written (composed, without
    invisible characters), at the place the folded copy matched."""
    body = (
        "The ＦＴＣ said models trained on more than 10²⁵ FLOPs, about ½ of the frontier, face "
        "regulation under the new rule…"
    )
    [match] = rules.classify("Compute rules", body)
    assert match.topic == "policy"
    assert "10²⁵ FLOPs" in match.snippet and "½" in match.snippet and "1025" not in match.snippet
    assert "ＦＴＣ" in match.snippet
    assert {h.matched for h in match.hits} == {"ＦＴＣ", "regulation"}


def test_evidence_offsets_stay_right_after_characters_folding_changes_in_length(
    rules: Rules,
) -> None:
    """Ligatures, ellipses and ㈜ grow under NFKC (ﬁ → fi, … → ..., ㈜ → (주)) and invisible
    characters vanish: a long sentence full of them still shows the hit, not a window beside it;
    Hangul typed decomposed (as macOS writes it) is shown composed."""
    import unicodedata

    filler = "ﬁ… ㈜가\u200b나 " * 60
    said = unicodedata.normalize("NFD", "오픈소스 모델을 깃허브에 올렸다, 오픈소스로 깃허브에 ")
    body = filler + said + filler
    [match] = rules.classify("x", body)
    assert match.topic == "open-source"
    assert "오픈소스 모델을 깃허브에" in match.snippet
    assert "\u200b" not in match.snippet and "ﬁ" in match.snippet
    assert {h.matched for h in match.hits} == {"오픈소스", "깃허브에"}


@pytest.mark.parametrize(
    "space",
    ["  ", "\t", " \u3000", "\u00a0 ", " \t\u2002"],
    ids=["double", "tab", "ideographic", "nbsp", "mixed"],
)
def test_runs_of_white_space_read_as_one_space(rules: Rules, v2: Rules, space: str) -> None:
    """CMS output doubles spaces ("&nbsp; "), indents lines and breaks them with CRLF. A reader
    sees one space; the rules counted every character: a `re:` term written with one space
    ("Llama[- ]?3") missed, and the lede (the first 200 characters) and a short body's length
    were measured in spaces, so a decisive lede mention counted once (real items: six of the
    labelled corpus changed topics when their spaces were doubled)."""
    title = "Meta ships Llama 3 today"
    body = (
        "Lawmakers in the capital city met on Tuesday, and after a long and heated debate over "
        "several of the proposals from many of the committees, they said they agreed on a new "
        "regulation of AI models. " + EN_FILLER
    )
    for rule_set in (rules, v2):
        single = {d.topic: d.score for d in explain(rule_set, title, body)}
        spaced = explain(rule_set, title.replace(" ", space), body.replace(" ", space))
        assert {d.topic: d.score for d in spaced} == single
    assert {d.topic: d.score for d in explain(rules, "", body)}["policy"] == 2  # a lede mention
    # an indented line after a CRLF is one line break: the mention stays in the lede
    lines = body.replace(", and", ",\r\n" + " " * 20 + "and").replace(
        ", they", ",\r\n" + " " * 20 + "they"
    )
    assert {d.topic: d.score for d in explain(rules, "", lines)}["policy"] == 2


def test_a_space_in_a_re_term_also_reads_a_line_break(v2: Rules) -> None:
    """Feed summaries keep the line breaks of their HTML source and <br>s, often mid-sentence
    ("플로리다주\\n검찰총장은", "Llama\\n3"): word and phrase terms read past them, but a `re:`
    term written with a space did not (a labelled policy story hard-wrapped lost its topic).
    A space in a pattern, alone or in a class, now reads a line break too; nothing else
    changes (an escaped space, `\\Q … \\E`, `[^ ]`-like classes are read as before but for it)."""
    title = "Meta ships its model"
    body = "Meta released Llama\n3 to the public as an AI model on Tuesday. " + EN_FILLER
    wrapped = {d.topic: d.score for d in explain(v2, title, body)}
    assert wrapped == {d.topic: d.score for d in explain(v2, title, body.replace("\n", " "))}
    assert wrapped["open-source"] > 0
    shipped = _shipped()
    said = "미국 플로리다주\n검찰총장은 챗GPT를 상대로 제기한 소송에서 법원에 요구했다."
    assert {d.topic: d.score for d in explain(shipped, "소송", said)} == {
        d.topic: d.score for d in explain(shipped, "소송", said.replace("\n", " "))
    }


def test_near_counts_the_words_an_ellipsis_joins_without_a_space(v2: Rules) -> None:
    """Korean headlines end a clause with … and no space ("잃어…생성 AI로", "계약...\"안전");
    NEAR/n counted the two words it joins as one, so words a reader sees apart counted as near
    (a labelled item with no topic matched ai-safety so). A middle-dot list stays one word."""
    far = "AI 모델 잃어…모든 안전"
    spaced = {d.topic: d.score for d in explain(v2, "", far.replace("…", " "))}
    assert spaced["ai-safety"] == 0
    for joined in (far, far.replace("…", "...")):
        assert {d.topic: d.score for d in explain(v2, "", joined)} == spaced
    near = {d.topic: d.score for d in explain(v2, "", "AI…안전 점검, AI·로봇·안전 투자")}
    assert near["ai-safety"] > 0  # words next to each other stay near
    title = "브랜드 78%, 위조·사칭으로 연 매출 5% 잃어…생성 AI로 IP 침해 가속"
    assert "ai-safety" not in {m.topic for m in _shipped().classify(title, "")}


def test_acronyms_written_with_dots_read_as_written_without(v2: Rules) -> None:
    """The New York Times and others write "A.I.", "E.U.", "U.S.": every AI term ("AI Act",
    "AI safety", the AI Safety Institute) missed their stories. A run of capital letters each
    followed by a dot reads as the acronym; evidence still shows the dots."""
    title = "Britain's A.I. Safety Institute tests the newest models"
    body = "The A.I. Safety Institute said on Tuesday that it tested two models. " + EN_FILLER
    plain = explain(v2, title.replace("A.I.", "AI"), body.replace("A.I.", "AI"))
    dotted = explain(v2, title, body)
    assert [(d.topic, d.score) for d in dotted] == [(d.topic, d.score) for d in plain]
    [safety] = [d for d in dotted if d.topic == "ai-safety"]
    assert safety.matched and "The A.I. Safety Institute said" in safety.snippet
    assert "A.I. Safety Institute" in {h.matched for h in safety.hits}
    shipped = _shipped().classify("E.U. Delays Parts of Its A.I. Act", "")
    assert "policy" in {m.topic for m in shipped}
