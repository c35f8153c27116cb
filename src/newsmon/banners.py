"""Banners and comment threads inside the article's container, removed before extraction.

A cookie-consent layer ("We use cookies ... you agree", "쿠키를 사용합니다 ... 동의"), a paywall
box ("구독하고 전체 기사 읽기", "3 of 3 free articles this month") and a comment thread with no
heading sit inside many articles' containers under class names trafilatura does not know
(``ck_lyr``, ``mtr-7``, ``rpl_area``): their text became the story's, and with it topic matches
and dedup keys. They are known by their kind, never by one site's ids:

- a banner is a short block (at most ``BANNER_MAX_CHARS`` of text) whose text says consent,
  paywall or a newsletter's sign-up in the words such banners use; the outermost block around
  it that adds at most ``BANNER_EXTRA_CHARS`` goes, so the banner's other lines ("이미 구독
  중이신가요? 로그인") go with it and a short story holding it stays;
- a comment thread is a block of two or more items that each carry a reader's controls
  ("답글", "공감", "신고", "Reply", "Like", "Report" as buttons, links or spans): the block goes;
- so does a block of two or more items without controls that each open with a commenter's
  byline, a name then a time ("harbourfan 2026-05-02 14:31", "바다사랑 3시간 전"), when they are
  at least half of its items (a board's plain list, a thread read without its scripts), and
  when the page keeps story text besides it (`layout.leaves_a_story`): signed entries that are
  the page's text are a live blog, a transcript or posts a story quotes.

A block holding the page's ``h1`` stays. Prose that mentions cookies or subscriptions stays: it
is longer than a banner or lacks a banner's wording, or it is a paragraph beside the story's
other paragraphs that quotes the wording with no button or call-to-action link in it.

The wording is known in Korean, English, German, French, Japanese and Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from newsmon.layout import leaves_a_story, page_chars, remove_keeping_tail, text_owners

BANNER_MAX_CHARS = 400
# text a banner holds besides its wording ("이미 구독 중이신가요? 로그인", its buttons), at most
BANNER_EXTRA_CHARS = 120
_BANNER_TAGS = ("p", "div", "span", "li", "section", "aside", "form", "strong", "b", "dl")
_MAX_PIECES = 32
# elements (and comments) a banner holds, at most: its text, buttons, icons and inputs. A block
# of more is not one, however little text it has (its empty elements were each read).
_MAX_NODES = 256
# a consent layer: cookies named, and a banner's wording (not a story's: "users must consent")
_COOKIE = re.compile(r"cookie|쿠키|クッキー", re.IGNORECASE)
_CONSENT = re.compile(
    r"\b(we|we and our partners|this (web ?)?site|our (web ?)?site) uses? cookies"
    r"|\bby (continuing|using|clicking|browsing|staying)\b.{0,80}\b(agree|consent|accept)"
    r"|\byou (agree|consent) to (our|the) use of cookies|\baccept (all )?cookies"
    r"|\bcookie (settings|preferences)\b"
    r"|쿠키를? ?(사용|이용|수집|저장)(합니다|하고 있습니다)|(동의|허용)(하는 것으로|하시|합니다)"
    r"|쿠키 ?설정"
    # German, French, Japanese, Chinese (traditional too): as above, a banner's own wording
    r"|\b(wir|diese (web)?seite) (verwenden|nutzen|setzen|verwendet|nutzt|setzt) cookies"
    r"|\bmit der (weiteren )?nutzung\b.{0,80}\b(stimmen sie|erklären sie sich|akzeptieren sie)"
    r"|\bcookies? (akzeptieren|zulassen)|\bcookie-einstellungen"
    r"|\b(nous|ce site) (utilisons|utilise) des cookies"
    r"|\ben (poursuivant|continuant)\b.{0,80}\bvous (acceptez|consentez)"
    r"|\baccepter (tous )?les cookies|\b(paramètres|gérer) (des |les )?cookies"
    r"|(クッキー|cookie).{0,20}(使用|利用)して(い)?ます|同意(したものとみなし|いただいたものとみなし)"
    r"|(クッキー|cookie) ?設定"
    r"|(本网站|本網站|本站|我们|我們)(使用|采用|採用)了? ?cookie"
    r"|(继续|繼續)(浏览|瀏覽|使用).{0,40}(同意|接受)|接受(所有|全部) ?cookie|cookie ?(设置|設定)",
    re.IGNORECASE | re.DOTALL,
)
# a newsletter's sign-up box: its call to action, not a mention of a newsletter
_NEWSLETTER = re.compile(
    r"\b(sign up|subscribe) (for|to) (our|the|this) .{0,40}newsletter"
    r"|뉴스레터.{0,40}(구독하기|구독 신청|신청하기|받아 ?보세요)"
    r"|(받아 ?보세요|구독하세요).{0,40}뉴스레터"
    r"|\bnewsletter\b.{0,60}\b(abonnieren|bestellen)\b|\bmelden sie sich\b.{0,40}newsletter"
    r"|\b(inscrivez|abonnez)-vous à (notre|la|nos) (newsletter|lettre)"
    r"|(ニュースレター|メールマガジン|メルマガ).{0,40}(購読|登録)(する|はこちら|して)"
    r"|(订阅|訂閱)(我们的|我們的)?.{0,10}(新闻通讯|新聞通訊|电子报|電子報)",
    re.IGNORECASE | re.DOTALL,
)
# a paywall's call to action, not prose about subscriptions ("구독하고 있는 가구", "유료 기사 모델")
_PAYWALL = re.compile(
    r"\bfree (articles?|stories) (left|remaining|this month)"
    r"|\b(subscribe|sign up|sign in|log in|register) (now |today )?to (continue|keep) reading"
    r"|\balready a subscriber\b|\bsubscribers?[- ]only (article|story|content)"
    r"|\b(this|the) (article|story|content) is (only )?(for|available to) (paid )?subscribers"
    r"|구독하고 ?(전체|기사|이어|계속|무료)|구독하시면|구독 후 (전체|기사|이어|계속)"
    r"|전체 기사 ?(읽기|보기)|기사 전문(을|은)? ?(보|읽)|유료 ?(회원|구독자) 전용"
    r"|(회원|구독자) 전용 ?기사|이미 구독 ?(중|하고 계|하셨)"
    r"|\bkostenlosen? artikel\b.{0,40}\b(gelesen|verbraucht|übrig)|\bweiterlesen mit\b"
    r"|\b(jetzt )?abonnieren und weiterlesen|\bnur für abonnenten|\bbereits abonnent"
    r"|\bréservée? aux abonnés|\babonnez-vous pour (lire|continuer|poursuivre)"
    r"|\bdéjà abonnée?|\barticles? gratuits? (restants?|ce mois)"
    r"|(有料)?会員限定(の)?(記事|です)|続きを読むには|続きは(有料)?会員"
    r"|(订阅|訂閱)(后|後)?(即可)?(阅读|閱讀|查看)全文|(会员|會員|订户|訂戶)(专享|專享)"
    r"|已是(订阅|訂閱)(用户|用戶|者)",
    re.IGNORECASE,
)
# a reader's controls on a comment (digits, signs and spaces aside)
_CONTROLS = frozenset(
    """답글 답글달기 답글쓰기 댓글달기 공감 비공감 추천 비추천 반대 신고 좋아요 싫어요 reply
    replies like dislike report flag upvote downvote""".split()  # noqa: SIM905
)
_NOISE = re.compile(r"[\W\d_]+")
_THREAD_TAGS = ("ul", "ol", "div", "section", "dl")
# what a control is written as: Korean CMSes often write it as a span a script listens to
_CONTROL_TAGS = ("button", "a", "span", "em", "i", "strong")
_REPLY = frozenset({"답글", "답글달기", "답글쓰기", "reply"})
# text that any banner's wording holds; elements are read only near it
_TRIGGER = re.compile(
    r"cookie|쿠키|구독|subscri|newsletter|뉴스레터|free (articles?|stories)|continue reading"
    r"|keep reading|기사 전문|전체 기사|전용|クッキー|abonn|kostenlos|weiterlesen"
    r"|会員|続き|订阅|訂閱|专享|專享|全文|メルマガ|ニュースレター|メールマガジン|新闻通讯|新聞通訊|电子报|電子報",
    re.IGNORECASE,
)
# ancestors of such text looked at for a banner's whole wording, at most
_MAX_CLIMB = 4


def _short_text(element: Any) -> str | None:
    """The element's whole text when it is at most a banner's length, else None; reads a
    bounded part of the element whatever it holds (`_MAX_NODES`, `_MAX_PIECES`)."""
    if next(islice(element.iter(), _MAX_NODES, None), None) is not None:
        return None
    pieces = list(islice(element.itertext(), _MAX_PIECES + 1))
    text = " ".join("".join(pieces).split())
    if len(pieces) > _MAX_PIECES or len(text) > BANNER_MAX_CHARS:
        return None
    return text


def _holds_h1(element: Any) -> bool:
    return element.tag == "h1" or next(element.iter("h1"), None) is not None


def _banner(element: Any) -> Any:
    """The banner `element`'s text makes it part of: the outermost block around it that holds
    little else; or None."""
    text = _short_text(element)
    if not text:
        return None
    consent = _COOKIE.search(text) is not None and _CONSENT.search(text) is not None
    if not consent and not (_PAYWALL.search(text) or _NEWSLETTER.search(text)):
        return None
    while True:
        parent = element.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        around = _short_text(parent)
        if around is None or len(around) - len(text) > BANNER_EXTRA_CHARS:
            break  # the parent holds more than the banner's own lines: a (short) story
        element = parent
    return None if _holds_h1(element) or _quoted_in_prose(element) else element


# what a reader acts on in a banner; a link is one when it leads nowhere (a script's button)
# or says a banner's words ("Subscribe", "Accept cookies")
_FORM_CONTROLS = ("button", "input", "select", "textarea")


def _acts(element: Any) -> bool:
    """Whether the (short, `_short_text`) element holds a control a reader acts on."""
    if next(element.iter(*_FORM_CONTROLS), None) is not None:
        return True
    for link in element.iter("a"):
        href = str(link.get("href") or "").strip().lower()
        if not href or href.startswith(("#", "javascript:")):
            return True
        if _TRIGGER.search(" ".join(islice(link.itertext(), _MAX_PIECES))):
            return True
    return False


def _quoted_in_prose(element: Any) -> bool:
    """Whether `element` is a paragraph of the story that quotes a banner's wording (an
    article about privacy law or paywalls): a ``p`` beside another paragraph of text, with
    nothing a reader acts on. A banner is its own box, or carries its buttons and links."""
    if element.tag != "p" or _acts(element):
        return False
    return any(
        sibling is not None
        and sibling.tag == "p"
        and any(piece.strip() for piece in islice(sibling.itertext(), _MAX_PIECES))
        for sibling in (element.getprevious(), element.getnext())
    )


def _text_owners(root: Any) -> Iterator[Any]:
    """The elements holding a piece of text that names what banners are about, innermost first
    (the page is read once; an element is looked at only near such text)."""
    return text_owners(root, lambda piece: _TRIGGER.search(piece) is not None)


def prune_banners(root: Any) -> int:
    """Remove from the tree `root` (lxml) every consent, paywall or newsletter banner (see the
    module's docstring), keeping the text that follows it; the number removed."""
    doomed: dict[Any, None] = {}
    for owner in _text_owners(root):
        for element in islice(_and_ancestors(owner), _MAX_CLIMB):
            if element is None or element.tag not in _BANNER_TAGS:
                continue
            if (found := _banner(element)) is not None:
                doomed[found] = None
                break
    return _remove_attached(doomed)


def _and_ancestors(element: Any) -> Iterator[Any]:
    if element is not None:
        yield element
        yield from element.iterancestors()


def _control(element: Any) -> str | None:
    """The reader's control `element` is ("답글", "reply", ...), or None."""
    text = "".join(islice(element.itertext(), 8))
    if len(text) > 24:
        return None
    key = _NOISE.sub("", text).lower()
    return key if key in _CONTROLS else None


def _is_comment(found: set[str]) -> bool:
    """Whether an item carrying the controls `found` is a comment: a reply control, or two."""
    return bool(found & _REPLY) or len(found) >= 2


def prune_comment_threads(root: Any) -> int:
    """Remove from the tree `root` (lxml) every block of readers' comments, titled or not (see
    the module's docstring); the number removed. Only the ancestors of controls are read."""
    held: dict[Any, set[str]] = {}  # element -> the controls inside it
    for element in root.iter(*_CONTROL_TAGS):
        if (key := _control(element)) is not None:
            for above in element.iterancestors():
                held.setdefault(above, set()).add(key)
    blocks = {
        parent: None
        for element, found in held.items()
        if _is_comment(found)
        and (parent := element.getparent()) is not None
        and parent.tag in _THREAD_TAGS
    }
    doomed = []
    for block in blocks:
        items = [kid for kid in block if isinstance(kid.tag, str)]
        comments = sum(_is_comment(held.get(kid, set())) for kid in items)
        if comments >= 2 and 2 * comments >= len(items) and not _holds_h1(block):
            doomed.append(block)
    return _remove_attached(doomed)


# a comment's time as its byline writes it: a date, a clock time, or both; or a time ago
_DATE = r"(?:\d{4}[-./]\s?\d{1,2}[-./]\s?\d{1,2}\.?|\d{1,2}[-./]\d{1,2}(?:[-./]\d{2,4})?)"
_CLOCK = r"(?:\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?)"
_WHEN = re.compile(
    rf"\W*(?:{_DATE}(?:\s*(?:at\s*)?{_CLOCK})?|{_CLOCK}"
    r"|\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago"
    r"|\d+\s*(?:초|분|시간|일|주|개월|달|년)\s*전|방금(?:\s*전)?|just now|yesterday|어제)\W*",
    re.IGNORECASE,
)
_NAME_CHARS = 40
# what a comment says after its byline, at least (Korean comments are often one short line)
_SAYS_CHARS = 12
# a byline's pieces read before the comment's text, at most
_BYLINE_PIECES = 6
# comments signed with a name and a time are read near their times only
_MAX_SIGNED_CLIMB = 4


def _signed(item: Any) -> bool:
    """Whether `item` opens with a commenter's byline, a name then a time ("harbourfan
    2026-05-02 14:31", "바다사랑 3시간 전"), and says something after it. A timeline's item
    opens with its date, a story's byline has the story after it, not inside it."""
    if item.tag == "h1" or next(islice(item.iter(), _MAX_NODES, None), None) is not None:
        return False
    pieces = [p.strip() for p in islice(item.itertext(), _MAX_PIECES) if p.strip()]
    for i, piece in enumerate(pieces[:_BYLINE_PIECES]):
        if _WHEN.fullmatch(piece):
            named = i > 0 and all(
                len(p) <= _NAME_CHARS and not _WHEN.fullmatch(p) for p in pieces[:i]
            )
            return named and any(len(p) >= _SAYS_CHARS for p in pieces[i + 1 :])
        if len(piece) > _NAME_CHARS:
            return False
    return False


def _a_time(piece: str) -> bool:
    return len(piece) <= 60 and _WHEN.fullmatch(piece.strip()) is not None


def prune_signed_comments(root: Any) -> int:
    """Remove from the tree `root` (lxml) every block of two or more readers' comments that
    carry no controls but each open with a name and a time (see `_signed`), when they are at
    least half of the block's items; the number removed."""
    found: dict[Any, dict[Any, None]] = {}  # block -> its signed items
    seen: set[Any] = set()
    for item in text_owners(root, _a_time):
        for _ in range(_MAX_SIGNED_CLIMB):
            parent = item.getparent() if item is not None else None
            if parent is None or parent.tag in ("body", "html") or item in seen:
                break
            seen.add(item)
            if parent.tag in _THREAD_TAGS and _signed(item):
                found.setdefault(parent, {})[item] = None
                break
            item = parent
    doomed = []
    for block, signed in found.items():
        items = [kid for kid in block if isinstance(kid.tag, str)]
        if len(signed) >= 2 and 2 * len(signed) >= len(items) and not _holds_h1(block):
            doomed.append(block)
    # comments sit under a story: signed items that are the page's text are its story (a
    # live blog's entries, a transcript's turns, posts a story quotes between its paragraphs)
    page = page_chars(root) if doomed else 0
    return _remove_attached([block for block in doomed if leaves_a_story(page, [block])])


def _remove_attached(doomed: Iterable[Any]) -> int:
    """Remove each of `doomed` still in the tree (not inside one removed before it), keeping
    the text that follows it; the number removed."""
    removed = 0
    for element in doomed:
        if element.getparent() is not None and all(
            a.getparent() is not None or a.tag == "html" for a in element.iterancestors()
        ):
            remove_keeping_tail(element)
            removed += 1
    return removed
