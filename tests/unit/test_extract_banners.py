"""Banners in the article's container (newsmon.banners) on pages in other languages than
Korean and English, and prose that quotes a banner's wording: the banner goes, the prose
stays."""

from __future__ import annotations

import lxml.html
import pytest

from newsmon.boxes import prune_titled_boxes
from newsmon.extract import extract_article
from newsmon.layout import prune_related_lines
from newsmon.rules import load_rules
from tests.conftest import SHIPPED_TOPICS

STORY = (
    "The harbour board said on Monday it will add a late sailing on Fridays from June, after"
    " islanders complained that the last boat left too early for evening shifts in town.",
    "The extra sailing will run until the end of September as a trial, and season tickets stay"
    " valid on the late boat without a surcharge, the board said.",
    "The board will count passengers on each sailing and decide in October whether to keep it,"
    " when the crossing is often cancelled for wind.",
)
LAST = "when the crossing is often cancelled for wind."


def _page(inside: str, lang: str = "en", story: tuple[str, ...] = STORY) -> bytes:
    body = "".join(f"<p>{s}</p>" for s in story)
    return (
        f"<html lang='{lang}'><head><meta charset='utf-8'><title>Ferry</title></head><body>"
        "<nav><a href='/'>Home</a></nav><div class='art'><h1>Ferry adds a late sailing</h1>"
        f"<div class='txt'>{body}{inside}</div></div><footer>Courier</footer></body></html>"
    ).encode()


# Each names open-source AI or the AI Act: left in, it makes the ferry story a topic's.
BANNERS = {
    "ja-consent": "<div class='q1'><p>当サイトではオープンソースAIの推薦のためにクッキーを使用しています。"
    "サイトを閲覧し続けることで、クッキーの使用に同意したものとみなされます。</p><button>同意する</button></div>",
    "zh-consent": "<div class='q1'><p>本网站使用Cookie来改善开源AI推荐。继续浏览即表示您同意我们使用Cookie。</p>"
    "<button>接受</button></div>",
    "de-consent": "<div class='q1'><p>Wir verwenden Cookies für Empfehlungen zu Open-Source-KI und"
    " dem AI Act. Mit der Nutzung dieser Website stimmen Sie der Verwendung von Cookies zu.</p>"
    "<button>Akzeptieren</button></div>",
    "fr-consent": "<div class='q1'><p>Nous utilisons des cookies pour vos recommandations sur"
    " l'IA open source et l'AI Act. En poursuivant votre navigation, vous acceptez"
    " l'utilisation des cookies.</p><button>Accepter</button></div>",
    "de-paywall": "<div class='q2'><p>Sie haben alle kostenlosen Artikel dieses Monats gelesen."
    " Jetzt abonnieren und weiterlesen: Open-Source-KI und AI Act.</p></div>",
    "fr-paywall": "<div class='q2'><p>Cet article sur l'AI Act est réservé aux abonnés."
    " Abonnez-vous pour lire la suite.</p><p>Déjà abonné ? Se connecter</p></div>",
    "ja-paywall": "<div class='q2'><p>この記事（AI Act、オープンソースAI）は有料会員限定です。"
    "続きを読むには会員登録が必要です。</p></div>",
    "zh-paywall": "<div class='q2'><p>本文（开源AI与AI Act）为付费会员专享。订阅后阅读全文。</p></div>",
    "de-newsletter": "<div class='q3'><p>Jetzt den Newsletter zu Open-Source-KI und AI Act"
    " abonnieren!</p><input type='email'><button>Anmelden</button></div>",
    "fr-newsletter": "<div class='q3'><p>Inscrivez-vous à notre newsletter sur l'IA open source"
    " et l'AI Act.</p><input type='email'><button>OK</button></div>",
    "ja-newsletter": "<div class='q3'><p>オープンソースAIとAI Actのニュースレターを購読する</p>"
    "<input type='email'><button>登録</button></div>",
    "zh-newsletter": "<div class='q3'><p>订阅我们的新闻通讯，获取开源AI与AI Act资讯。</p>"
    "<input type='email'><button>订阅</button></div>",
}


@pytest.mark.parametrize("inside", list(BANNERS.values()), ids=list(BANNERS))
def test_banners_in_other_languages_do_not_reach_the_body(inside: str) -> None:
    """Japanese, Chinese, German and French pages carry AI news too: their consent, paywall
    and newsletter boxes stayed in the body and made the story open-source's and policy's."""
    got = extract_article(_page(inside), url="http://x.example/a/1")
    assert got.text.rstrip().endswith(LAST), got.text
    assert "AI" not in got.text and "KI" not in got.text, got.text
    assert [m.topic for m in load_rules(SHIPPED_TOPICS).classify(got.title, got.text)] == []


PROSE = {
    "en": "Under the ruling, a notice saying that we use cookies to personalise ads, and that by"
    " continuing to browse you agree to our use of cookies, no longer counts as consent to"
    " open-source AI profiling, the regulator said.",
    "en-paywall": "The paper's notice, You have read 3 of 3 free articles this month, was shown"
    " to readers of its AI Act coverage, the regulator said.",
    "de": "Das Gericht entschied, dass der Satz Mit der Nutzung dieser Website stimmen Sie der"
    " Verwendung von Cookies zu keine Einwilligung nach dem AI Act ist, sagte die Behörde.",
}


@pytest.mark.parametrize("sentence", list(PROSE.values()), ids=list(PROSE))
def test_prose_quoting_a_banners_wording_stays(sentence: str) -> None:
    """A paragraph of an article about privacy law that quotes a banner's wording was cut as
    a banner: the story lost its topic sentence (and its alert)."""
    story = (STORY[0], sentence, *STORY[1:])
    got = extract_article(_page("", story=story), url="http://x.example/a/1")
    assert sentence in got.text, got.text
    assert got.text.rstrip().endswith(LAST)


def test_prose_quoting_a_banner_beside_paragraphs_opening_in_bold_stays() -> None:
    """The story's paragraphs may open with an inline element (a dateline in bold)."""
    story = (f"<b>Millbrook</b> {STORY[0]}", PROSE["en"], f"<b>Fares</b> {STORY[1]}", STORY[2])
    got = extract_article(_page("", story=story), url="http://x.example/a/1")
    assert PROSE["en"] in got.text, got.text


def test_a_banner_set_between_the_storys_paragraphs_still_goes() -> None:
    """The same wording as a box a reader acts on (its button), between the story's
    paragraphs, is a banner."""
    banner = (
        "<p>We use cookies for open-source AI ads. By continuing to browse you agree to our use"
        " of cookies. <button>OK</button></p>"
    )
    story = "".join(f"<p>{s}</p>" for s in STORY[:2]) + banner + f"<p>{STORY[2]}</p>"
    got = extract_article(_page(story, story=()), url="http://x.example/a/1")
    assert "cookies" not in got.text and "AI" not in got.text, got.text
    assert got.text.rstrip().endswith(LAST)


RELATED_TITLES = {
    "pt": "Saiba Mais",
    "pt-2": "Leia também",
    "es": "Te puede interesar",
    "de": "Mehr zum Thema",
    "fr": "À lire aussi",
    "it": "Leggi anche",
    "ja": "関連記事",
    "zh": "相关阅读",
    "zh-hant": "延伸閱讀",
}


@pytest.mark.parametrize("title", list(RELATED_TITLES.values()), ids=list(RELATED_TITLES))
def test_a_related_box_titled_in_another_language_is_removed(title: str) -> None:
    """A box of other stories inside the article, titled in Portuguese, Spanish, German,
    French, Italian, Japanese or Chinese, is chrome as "Related" is: a Correio Braziliense
    page of the shared corpus kept its "Saiba Mais" box's four headlines in the body (four
    long headlines with pictures pass trafilatura's own link-density rules)."""
    items = "".join(
        f"<li><a href='/n/{i}'><img src='/i/{i}.jpg' alt=''> <span>{head}</span></a></li>"
        for i, head in enumerate(
            ("DeepSeek open-sources the weights of its R1 model", "The EU AI Act takes effect")
        )
    )
    story = "".join(f"<p>{s}</p>" for s in STORY)
    root = lxml.html.fromstring(
        f"<html><body><article><h1>Ferry</h1>{story}<div class='rm'><h4>{title}</h4>"
        f"<ul>{items}</ul></div><h3>Fares</h3><p>{STORY[0]}</p></article></body></html>"
    )
    assert prune_titled_boxes(root) == 1
    text = root.text_content()
    assert "DeepSeek" not in text and "AI Act" not in text and title not in text
    assert all(s in text for s in STORY) and "Fares" in text


RELATED_MARKERS = {
    "pt": "Leia também:",
    "es": "Lea también:",
    "de": "Lesen Sie auch:",
    "fr": "À lire aussi :",
    "it": "Leggi anche:",
    "ja": "【関連記事】",
    "zh": "延伸阅读：",
}


@pytest.mark.parametrize("marker", list(RELATED_MARKERS.values()), ids=list(RELATED_MARKERS))
def test_a_related_line_marked_in_another_language_is_removed(marker: str) -> None:
    """A body of ``<br>`` lines with a line of links to other stories after a "related"
    marker in another language than Korean and English: the headline stayed in the body."""
    root = lxml.html.fromstring(
        f"<html><body><div>{STORY[0]}<br>{marker} <a href='/n/1'>DeepSeek opens R1</a><br>"
        f"{STORY[1]}</div></body></html>"
    )
    assert prune_related_lines(root, "https://www.courier.example/news/1") == 1
    text = root.text_content()
    assert "DeepSeek" not in text and marker.strip("【】：: ") not in text
    assert STORY[0] in text and STORY[1] in text
