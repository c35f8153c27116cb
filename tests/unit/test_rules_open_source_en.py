"""English open-source classes added on the dev split of the extra set (bench/shared_labels.py):
each probe is written for the class, not copied from a labelled item."""

from __future__ import annotations

import pytest

from tests.unit.test_rules_scoring import EN_FILLER, shipped_topics


@pytest.mark.parametrize(
    ("lede", "open_source"),
    [
        # open source as what a model or a tool is, will be or is taken to be
        ("Users asked whether the new AI model will be open source like its predecessor.", True),
        ("The lab's coding agent is now open-source, the company said on Monday.", True),
        ("Critics debate whether the leaked AI assistant could be considered 'open source'.", True),
        # open source as a field that talks, and a negation, are not a release
        ("Open source is booming, an AI investor said on Monday.", False),
        ("The company said its AI model is not open source and will stay that way.", False),
        # without an AI word, open-source software is not AI news
        ("The text editor is open source and free to download.", False),
    ],
)
def test_shipped_rules_hear_open_source_as_a_predicate(lede: str, open_source: bool) -> None:
    assert ("open-source" in shipped_topics("", lede + " " + EN_FILLER)) is open_source


@pytest.mark.parametrize(
    ("title", "open_source"),
    [
        # the model hub as the place weights are opened
        ("New AI models trending on Hugging Face this week", True),
        ("허깅페이스에 새 AI 모델 공개", True),
        # the company as the victim of an attack is security news about the firm
        ("Hugging Face breached by an AI agent during testing", False),
        ("AI 에이전트, 허깅페이스 해킹…계정 침해 확인", False),
    ],
)
def test_a_breach_of_the_model_hub_is_not_an_open_release(title: str, open_source: bool) -> None:
    assert ("open-source" in shipped_topics(title, EN_FILLER)) is open_source


@pytest.mark.parametrize(
    ("title", "open_source"),
    [
        # weights run on one's own machine (a headline, or a digest line that says it twice):
        # layers offloaded to the CPU, a laptop, a consumer GPU
        ("Testers run a 70B LLM with half its layers offloaded to CPU", True),
        ("New 8B AI model runs comfortably on a laptop", True),
        # a family name with its version (Qwen3, Llama-4) is the AI context a bare name is
        ("Qwen3 now runs locally on phones", True),
        # quantisation alone is context, not a release; a game on a laptop is not AI
        ("Lab compares quantization levels of its hosted AI model", False),
        ("New racing game runs on a laptop without trouble", False),
    ],
)
def test_shipped_rules_hear_weights_run_on_ones_own_machine(title: str, open_source: bool) -> None:
    assert ("open-source" in shipped_topics(title, EN_FILLER)) is open_source


@pytest.mark.parametrize(
    ("lede", "open_source"),
    [
        # a link to a model's own page on the hub, by its address or by the page's title
        (
            "A new coding LLM is out, see https://huggingface.co/acme-lab/Coder-9B for details.",
            True,
        ),
        (
            "Release thread: [acme-lab/Coder-9B · Hugging Face](https://example.org/r/1) for AI.",
            True,
        ),
        # the hub's front page is not a model's page
        ("The AI firm's site, https://huggingface.co/, was slow on Monday.", False),
    ],
)
def test_a_link_to_a_models_hub_page_is_an_open_release(lede: str, open_source: bool) -> None:
    assert ("open-source" in shipped_topics("", lede + " " + EN_FILLER)) is open_source


@pytest.mark.parametrize(
    ("title", "open_source"),
    [
        # an open model named by its kind; a parameter count (3B model, 7B size) is AI context
        ("Lab ships an open speech model in a 3B size", True),
        ("An open video model for AI creators is out", True),
        # open not next to the kind of model; and without any AI word or parameter count
        ("Agency opens casting for video model talent", False),
        ("City to open coding model school", False),
    ],
)
def test_an_open_model_named_by_its_kind(title: str, open_source: bool) -> None:
    assert ("open-source" in shipped_topics(title, EN_FILLER)) is open_source


@pytest.mark.parametrize(
    ("lede", "open_source"),
    [
        # an open-source AI framework, toolkit, library or SDK
        ("The startup released an open-source framework for building LLM agents.", True),
        ("Researchers published an open-source toolkit that tests AI chatbots.", True),
        # an open-source project or runtime near an AI word is not an AI release
        ("An AI lab acquired an open-source JavaScript runtime on Monday.", False),
        # a framework without any AI word
        ("The bank moved its payments to an open-source framework for web apps.", False),
    ],
)
def test_an_open_source_ai_framework_or_toolkit(lede: str, open_source: bool) -> None:
    assert ("open-source" in shipped_topics("", lede + " " + EN_FILLER)) is open_source


@pytest.mark.parametrize(
    ("line", "open_source"),
    [
        # a digest line: a model put on the hub, in the verbs digests use
        ("QuillMath-2 landed on Hugging Face as a 14B reasoning model.", True),
        ("The new coder checkpoints were dropped on Hugging Face overnight.", True),
        # the hub named, nothing put on it
        ("An AI founder launched a podcast about Hugging Face culture.", False),
    ],
)
def test_a_model_launched_on_the_hub_is_an_open_release(line: str, open_source: bool) -> None:
    assert ("open-source" in shipped_topics("", line)) is open_source


@pytest.mark.parametrize(
    ("line", "open_source"),
    [
        # community quantisations, in the plural digests write
        ("Community quantisers posted dynamic GGUFs for the new 30B model.", True),
        # a release of the weights as a thing, also still pending
        ("Fans await the lab's weights release for its new coding LLM.", True),
        ("Moderators may allow posts about models with pending weight releases.", True),
        # the licence's gerund
        ("The model ships with permissive MIT licensing and day-0 SGLang support.", True),
        # a file named after the format, weights and a licence far from each other
        ("A pull request edits convert_hf_to_gguf.py in the AI runtime.", False),
        ("Weights and measures: the AI agency will release a report on Monday.", False),
        ("MIT researchers describe a new AI model; licensing talks go on elsewhere.", False),
    ],
)
def test_quantised_files_weight_releases_and_licensing(line: str, open_source: bool) -> None:
    assert ("open-source" in shipped_topics("", line)) is open_source


@pytest.mark.parametrize(
    ("line", "open_source"),
    [
        # AI context by class: an inference runtime, an open model family, a lab's account
        ("Commenters praised its open-source nature and the new vLLM integration.", True),
        ("The Voxtral release is open-source, commenters noted.", True),
        ("It moved its open-source evals tool ([post](https://x.com/AnthropicAI/status/1)).", True),
        # the same lines about software that is not AI
        ("Commenters praised its open-source nature and the new Rust integration.", False),
        ("It moved its open-source newsroom tool ([post](https://x.com/nytimes/status/1)).", False),
    ],
)
def test_runtimes_model_families_and_lab_accounts_are_ai_context(
    line: str, open_source: bool
) -> None:
    assert ("open-source" in shipped_topics("", line)) is open_source


@pytest.mark.parametrize(
    ("title", "open_source"),
    [
        # open-source software in general, with AI in the story: AI helping or flooding projects
        ("AI coding tools swamp open-source projects with low-quality patches", False),
        ("AI lab offers open-source maintainers help with vulnerabilities", False),
        ("AI startup buys an open-source runtime", False),
        # an AI artefact that is open source still is, projects mentioned or not
        ("Lab releases open-source AI model for open-source projects to use", True),
        ("AI startup open-sources its agent; maintainers welcome it", True),
    ],
)
def test_open_source_software_in_general_is_not_open_source_ai(
    title: str, open_source: bool
) -> None:
    assert ("open-source" in shipped_topics(title, EN_FILLER)) is open_source
