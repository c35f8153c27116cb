"""Which language an item is in, from its script: what is stored with each article, shown by
`newsmon corpus`, counted per language by `newsmon eval`, and written by `feeds add`."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from newsmon.config import FeedConfig
from newsmon.evaluate import load_labels
from newsmon.extract import extract_article
from newsmon.feeds import FeedEntry
from newsmon.fetch import FetchResult
from newsmon.language import detect_language
from newsmon.pipeline.new_articles import new_article
from newsmon.workers import PageAnalysis

ENGLISH = (
    "Samsung Electronics said on Tuesday it would release the weights of its Gauss language "
    "model under an open-source licence, joining Naver and LG in publishing models."
)
KOREAN = (
    "삼성전자가 자체 개발한 생성형 인공지능 모델 가우스의 가중치를 오픈소스로 공개했다고 밝혔다."
)
JAPANESE = (
    "OpenAIは火曜日、新しいオープンウェイトモデル「gpt-oss」を公開したと発表した。"
    "MetaのLlamaやGoogleのGemmaと競合する。"
)
CHINESE = "阿里巴巴周二发布了开源大模型Qwen3，与Meta的Llama和Google的Gemma竞争，并公开了模型权重。"


def test_english_text_on_a_feed_configured_korean_is_english() -> None:
    """A Korean outlet's English story (or an English press release it carries) was stored as
    `ko`: the feed's hint overrode the plain Latin script of the text."""
    assert detect_language(ENGLISH, "ko") == "en"
    got = extract_article(
        None, feed_title="Gauss goes open", feed_summary=ENGLISH, language_hint="ko"
    )
    assert got.language == "en"


def test_the_hint_decides_only_what_the_script_cannot() -> None:
    assert detect_language("GPT-5", "ko") == "ko"  # too little text to tell
    assert detect_language("", "en") == "en"
    assert detect_language(KOREAN, "en") == "ko"


def test_hangul_typed_decomposed_or_in_jamo_is_korean() -> None:
    """Korean written as conjoining jamo (NFD, as macOS file names and some editors give it),
    compatibility jamo or half-width jamo has no precomposed syllable: it read as no language
    at all, or as the feed's hint."""
    decomposed = unicodedata.normalize("NFD", KOREAN)
    assert decomposed != KOREAN
    assert detect_language(decomposed) == "ko"
    assert detect_language(decomposed, "en") == "ko"
    assert detect_language("ㅇㅍㅅㅅ ㄱㅈㅊ ㄱㄱ, ㅇㄹㄴ ㅍㄷㅂ ㅂㅌ", "en") == "ko"
    assert detect_language("ﾾﾤﾡﾳﾾﾤﾡ ﾺﾤﾴ", "en") == "ko"  # half-width Hangul letters


def test_links_say_nothing_of_the_language() -> None:
    """A Korean teaser that ends with its source links read as English: every letter of the
    URLs was counted as English text."""
    teaser = (
        "오픈AI가 새 오픈웨이트 모델을 공개했다. 원문: "
        "https://openai.com/index/introducing-gpt-oss-open-weight-reasoning-models/ "
        "https://huggingface.co/openai/gpt-oss-120b/blob/main/README.md www.example.com/path"
    )
    assert detect_language(teaser) == "ko"
    assert detect_language(teaser, "en") == "ko"


def test_japanese_and_chinese_are_neither_korean_nor_english() -> None:
    """A Japanese or Chinese item with a few Latin product names was `en` (or the feed's `ko`):
    `feeds add --language en` took a Japanese feed for the English one, and the corpus and
    `newsmon eval` counted such items under the wrong language."""
    assert detect_language(JAPANESE) == "ja"
    assert detect_language(JAPANESE, "ko") == "ja"
    assert detect_language(CHINESE) == "zh"
    assert detect_language(CHINESE, "en") == "zh"


def test_korean_with_hanja_or_english_names_stays_korean() -> None:
    headline = "美 반도체 규제에 中 맞대응… 삼성·SK하이닉스 HBM 수출 영향 촉각"
    assert detect_language(headline) == "ko"
    mixed = (
        "메타가 Llama 4 Scout와 Llama 4 Maverick을 Hugging Face에 공개했다. "
        "Mixture-of-Experts 구조의 오픈웨이트 모델이다."
    )
    assert detect_language(mixed) == "ko"


def test_a_labelled_item_typed_decomposed_counts_as_korean(tmp_path: Path) -> None:
    """`newsmon eval` guesses an item's language from its script when the line has no `lang`:
    a Korean item saved decomposed was counted under `?`, not in the Korean figures."""
    line = {"id": "k1", "title": "", "text": unicodedata.normalize("NFD", KOREAN), "topics": []}
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    assert [item.lang for item in load_labels(labels)] == ["ko"]


RUSSIAN = (
    "Компания OpenAI в среду опубликовала веса новой модели gpt-oss под лицензией Apache 2.0, "
    "вслед за Meta с Llama и Mistral AI. По словам разработчиков, модель работает на одном "
    "графическом процессоре Nvidia H100 и доступна на Hugging Face."
)


def test_other_scripts_are_never_english() -> None:
    """A Russian story naming OpenAI, Meta and Hugging Face was `en` (over 20 Latin letters),
    and an Arabic, Thai or Hindi one on a feed configured `en` took the hint: the corpus,
    `newsmon eval` and `feeds add --language en` counted them as English."""
    assert detect_language(RUSSIAN) is None  # Cyrillic: Russian, Ukrainian, Bulgarian, ...
    assert detect_language(RUSSIAN, "en") is None
    assert detect_language(RUSSIAN, "ko") is None
    arabic = "أعلنت شركة OpenAI يوم الثلاثاء عن نموذج جديد مفتوح الأوزان يعمل على حاسوب واحد."
    assert detect_language(arabic, "en") is None  # Arabic script: Arabic, Persian, Urdu, ...
    hindi = "OpenAI ने मंगलवार को एक नया ओपन-वेट मॉडल जारी किया जो एक ही कंप्यूटर पर चलता है।"
    assert detect_language(hindi, "en") is None  # Devanagari: Hindi, Marathi, Nepali, ...
    thai = "บริษัท OpenAI เปิดตัวโมเดลภาษาแบบเปิดน้ำหนักรุ่นใหม่ Hugging Face เมื่อวันอังคาร"
    assert detect_language(thai, "en") == "th"
    greek = "Η OpenAI παρουσίασε την Τρίτη ένα νέο μοντέλο ανοιχτών βαρών στο Hugging Face."
    assert detect_language(greek, "en") == "el"
    hebrew = "חברת OpenAI הציגה ביום שלישי מודל חדש עם משקלים פתוחים ב-Hugging Face."
    assert detect_language(hebrew, "en") == "he"
    # an English story quoting a line of Russian is still English
    assert detect_language(ENGLISH * 4 + " «Модель открыта», сказал он.") == "en"


def test_a_korean_article_opening_with_english_is_korean() -> None:
    """Only the first 4,000 characters were read: a Korean article opening with a long English
    quote, statement or byline block was stored and counted as `en`."""
    quote = (ENGLISH + " ") * 30  # about 5,000 characters of English
    article = quote + (KOREAN + " ") * 60  # then the Korean story, about 3,500 characters
    assert detect_language(article) == "ko"
    assert detect_language((KOREAN + " ") * 60 + quote) == "ko"  # and English at the end
    assert detect_language((ENGLISH + " ") * 200 + (KOREAN + " ") * 3) == "en"


def test_code_and_urls_say_nothing_of_the_language() -> None:
    """A Korean post with a code sample was `en`: every letter of the code (identifiers,
    keywords, paths) was counted as English text."""
    fenced = (
        "메타가 새 모델을 공개했다. 다음과 같이 불러온다.\n"
        "```python\n"
        "from transformers import AutoModelForCausalLM, AutoTokenizer\n"
        'tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-4-Scout-17B-16E")\n'
        'model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-4-Scout-17B-16E")\n'
        'inputs = tokenizer("안녕하세요", return_tensors="pt").to(model.device)\n'
        "outputs = model.generate(**inputs, max_new_tokens=256, do_sample=False)\n"
        "print(tokenizer.decode(outputs[0], skip_special_tokens=True))\n"
        "```\n"
        "가중치는 허깅페이스에서 받을 수 있다."
    )
    assert detect_language(fenced, "en") == "ko"
    unfenced = fenced.replace("```python\n", "").replace("```\n", "")  # as a page's text gives it
    assert detect_language(unfenced, "en") == "ko"
    pre = fenced.replace("```python\n", "<pre><code>").replace("```\n", "</code></pre>\n")
    assert detect_language(pre, "en") == "ko"
    assert detect_language("Run `pip install transformers` and load the model.", "ko") == "en"


def test_compatibility_jamo_are_letters_not_syllables() -> None:
    """A compatibility jamo (ㅋ, ㅠ) is one letter, not a syllable of two or three: an English
    sentence quoting Korean chat laughter was `ko`."""
    sentence = "The announcement drew replies like ㅋㅋㅋㅋㅋㅋ and ㅠㅠㅠㅠ from fans online."
    assert detect_language(sentence) == "en"
    assert detect_language(sentence, "ko") == "en"


def test_a_story_in_another_script_is_not_stored_in_the_feeds_language() -> None:
    """The feed's `language` is already the hint detection weighs (for text too short to
    tell); a story detection found in another script (None) was stored as the feed's `en`."""
    feed = FeedConfig(name="wire", url="https://wire.example/rss", language="en")
    link = "https://wire.example/ru/1"
    entry = FeedEntry(link, link, "Модель открыта", RUSSIAN, None, None)
    extracted = extract_article(None, feed_summary=RUSSIAN, language_hint=feed.language)
    analysis = PageAnalysis(extracted, (), None, None)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    stored = new_article(1, feed, entry, link, FetchResult(link, link), analysis, now)
    assert stored.language is None
    short = extract_article(None, feed_summary="GPT-5", language_hint=feed.language)
    analysis = PageAnalysis(short, (), None, None)
    assert (
        new_article(1, feed, entry, link, FetchResult(link, link), analysis, now).language == "en"
    )
