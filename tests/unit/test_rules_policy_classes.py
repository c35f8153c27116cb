"""Classes of policy rules added for recall and precision on the extra set's dev split
(bench/shared_labels.py): each probe is written for the class, not copied from a labelled item."""

from __future__ import annotations

import pytest

from tests.unit.test_rules_scoring import EN_FILLER, FILLER, shipped_topics


@pytest.mark.parametrize(
    ("lede", "policy"),
    [
        # an export control or licence is an instrument of state wherever the story names it
        ("Washington is weighing export controls on model weights for the new chips.", True),
        ("The supplier would lose its export licence if its AI chips reached the buyer.", True),
        # as the backdrop of a company's own plans it is not the story
        ("The startup kept training its AI models despite export restrictions on chips.", False),
    ],
)
def test_shipped_rules_hear_export_controls(lede: str, policy: bool) -> None:
    assert (
        "policy" in shipped_topics("A report on the industry", lede + " " + EN_FILLER)
    ) is policy


@pytest.mark.parametrize(
    ("lede", "policy"),
    [
        # 수출통제 and 수출 규제, closed up or spaced, with particles
        ("미국이 AI 반도체에 대한 수출통제를 강화하는 방안을 검토한다.", True),
        ("업계는 반도체 장비 수출 규제 확대 가능성에 대비하고 있다.", True),
        # 수출 beside another word is trade, not control
        ("회사는 AI 반도체 수출 실적이 늘었다고 밝혔다.", False),
        # a backdrop: the company grew despite the controls
        ("회사는 수출 통제에도 불구하고 AI 반도체 매출을 늘렸다.", False),
    ],
)
def test_shipped_rules_hear_korean_export_controls(lede: str, policy: bool) -> None:
    assert ("policy" in shipped_topics("업계 소식", lede + " " + FILLER)) is policy


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        # a company or its executives addressing a government or a legislature: a proposal
        ("오픈AI, 미국 정부에 AI 인프라 공동 투자 제안", False),
        ("빅테크 CEO들, 미 의회에 AI 규제 법안 마련 촉구", False),
        # a public body as the subject is an act of state, whoever it addresses
        ("과기정통부, 국회에 AI 기본법 개정 건의", True),
        ("미국, 한국 정부에 AI 반도체 협력 제안", True),
        # the same company acted on by a government is still policy
        ("미국 정부, 오픈AI에 AI 인프라 공동 투자 제안", True),
    ],
)
def test_a_proposal_to_a_government_is_not_an_act_of_state(title: str, policy: bool) -> None:
    assert ("policy" in shipped_topics(title, FILLER)) is policy


@pytest.mark.parametrize(
    ("title", "policy"),
    [
        # the executive by its usual name next to an AI company or chips
        ("The Trump administration weighs a stake in an AI lab", True),
        ("Chipmakers court the administration over chips for China", True),
        # an administration that is not the executive's, far from any AI word
        ("Hospital administration staff get a new AI scheduling tool for shifts", False),
        # the EU's instruments by their name
        ("EU digital package could slow data center permits", True),
        ("A package of AI tools for data center operators", False),
    ],
)
def test_shipped_rules_hear_the_administration_and_eu_packages(title: str, policy: bool) -> None:
    assert ("policy" in shipped_topics(title, EN_FILLER)) is policy


@pytest.mark.parametrize(
    ("title", "body", "policy"),
    [
        # sovereign AI as a state's programme
        ("Britain backs sovereign AI with a state fund", EN_FILLER, True),
        # ... and as a vendor's sales word: an investment, a stack, a partnership
        ("Cloud giant rolls out sovereign AI investments across Asia", EN_FILLER, False),
        ("Chipmaker partners with a telco to sell sovereign AI", EN_FILLER, False),
        # policymakers in a headline are the story; in a short teaser, the addressee of a plea
        ("Policymakers weigh limits on AI chatbots for children", EN_FILLER, True),
        (
            "Industry letter",
            "AI labs urge policymakers to avoid broad limits on open models.",
            False,
        ),
        # the securities regulator acting, not a company filing with it to go public
        ("SEC charges AI startup over misleading claims about its models", EN_FILLER, True),
        ("AI lab submits a confidential S-1 to the SEC ahead of its IPO", EN_FILLER, False),
    ],
)
def test_vendor_words_and_addressees_are_not_acts_of_state(
    title: str, body: str, policy: bool
) -> None:
    """A company selling "sovereign AI", pleading with policymakers or filing with the SEC is
    business news (unlabelled English items: 12 such false matches in a sample of 80)."""
    assert ("policy" in shipped_topics(title, body)) is policy


def _digest(*extra: tuple[int, str]) -> str:
    """A digest chunk of 12 bulleted stories of community chatter, `extra` text added to some."""
    stories = [
        f"* Thread {n} on kernels: members compared GPU drivers, clocks and benchmark setups "
        "for local models and shared their notes at length with the others. "
        for n in range(12)
    ]
    for index, text in extra:
        stories[index] += text
    return "".join(stories)


@pytest.mark.parametrize(
    ("body", "policy"),
    [
        # passing mentions in three unrelated stories of a digest no longer add up
        (
            _digest(
                (2, "One member joked about regulation. "),
                (6, "Another said AI rules would change nothing. "),
                (9, "A third said lawmakers never read such threads. "),
            ),
            False,
        ),
        # one story about a public body acting is still that story's subject
        (
            _digest(
                (5, "The FTC opened an inquiry into AI chatbots; lawmakers back new AI rules. ")
            ),
            True,
        ),
    ],
)
def test_shipped_rules_read_a_digest_story_by_story(body: str, policy: bool) -> None:
    assert ("policy" in shipped_topics("", body)) is policy


@pytest.mark.parametrize(
    ("title", "body", "policy"),
    [
        # "regulation" once in a short teaser is a topic of talk, not a public body acting
        (
            "Three pioneers make the case",
            "AI experts debate open models, safety and regulation.",
            False,
        ),
        (
            "Startups join forces",
            "The partners offer an AI stack built for regulatory compliance.",
            False,
        ),
        # the noun in a headline still counts, and so does a regulator's act in the teaser
        ("New AI regulation for chatbots", "The rules apply from next year.", True),
        (
            "Publishers can opt out of AI search",
            "The FTC ordered the change under a regulation.",
            True,
        ),
        # a watchdog pressing a company is a regulator acting
        ("UK watchdog pushes Google over AI summaries", "Sites see fewer clicks.", True),
        ("Watchdog app adds AI features", "The home security app now sums up clips.", False),
    ],
)
def test_shipped_rules_weigh_generic_nouns_as_evidence_only(
    title: str, body: str, policy: bool
) -> None:
    assert ("policy" in shipped_topics(title, body)) is policy
