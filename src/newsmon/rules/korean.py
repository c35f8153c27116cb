"""Korean word endings: the particle, suffix and verb-ending tables, and the optional kiwi analyser.

A Korean term may carry particles and endings (오픈소스를, 공개했다) but must not run on into
another noun. The built-in tables below say what may follow a term (``korean: suffix``); with
``korean: kiwi`` the kiwipiepy morphological analyser decides where a stem ends instead.
"""

from __future__ import annotations

import re
import threading
from typing import Any

HANGUL = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f"
HANGUL_RE = re.compile(f"[{HANGUL}]")
# Particles (조사) and copula forms a noun can carry; up to two may stack (에서+는, 와+의).
PARTICLES = sorted(
    {
        "이",
        "가",
        "을",
        "를",
        "은",
        "는",
        "의",
        "에",
        "에서",
        "서",  # 에서 shortened, as titles write it (평가서 1위)
        "에게",
        "께",
        "한테",
        "로",
        "으로",
        "로서",
        "으로서",
        "로써",
        "으로써",
        "와",
        "과",
        "도",
        "만",
        "까지",
        "부터",
        "보다",
        "처럼",
        "마저",
        "조차",
        "이나",
        "나",
        "이란",
        "란",
        "이라는",
        "라는",
        "이라고",
        "라고",
        "이며",
        "며",
        "이고",
        "이다",
        "다",
        "이었다",
        "였다",
        "입니다",
        "이자",
        "이라",
        "라",
        "인",
        "들",
        "랑",
        "이랑",
        "께서",
        "에는",
        "이든",
        "든",
        "이야",
        "야",
        "요",
        "측",
        "쪽",
        "대로",
        "마다",
        "밖에",
    },
    # longest first (a regex alternation takes the first that fits), then by text: the same
    # pattern in every process
    key=lambda particle: (-len(particle), particle),
)
# Derivational noun suffixes (접미사): 안전성 (safety), 오픈소스화 (open-sourcing), 공개적 (public).
NOUN_SUFFIXES = "성|화|적"
# A noun turned verb or adjective (공개 → 공개했다, 공개된): these starts, then any ending.
VERB_STARTS = (
    "하",
    "한",
    "할",
    "함",
    "해",
    "했",
    "되",
    "된",
    "될",
    "됨",
    "돼",
    "됐",
    "시키",
    "시킨",
    "당하",  # passive: 조종당할, 악용당한
    "당한",
    "당할",
    "당해",
    "당했",
)
# Dictionary forms: a term written 공개하다 matches the stem 공개 followed by a verb ending.
DICTIONARY_ENDINGS = ("하다", "되다", "시키다")
# kiwipiepy tags after which a stem may end: particles, endings, suffixes, copula.
_KIWI_FOLLOWERS = ("J", "E", "XS", "VCP", "VCN")

_KIWI: list[Any] = []
_KIWI_LOCK = threading.Lock()


def is_hangul(ch: str) -> bool:
    return bool(HANGUL_RE.match(ch))


def kiwi_available() -> bool:
    try:
        import kiwipiepy  # noqa: F401
    except ImportError:
        return False
    return True


def get_kiwi() -> Any:
    """The process's one kiwipiepy analyser (about 2.5 s and 500 MB to load: done once)."""
    with _KIWI_LOCK:
        if not _KIWI:
            from kiwipiepy import Kiwi

            _KIWI.append(Kiwi())
        return _KIWI[0]


def stem_ends(text: str) -> dict[int, bool]:
    """Analyser view of `text`: for each morpheme start, whether that morpheme may follow a stem."""
    out: dict[int, bool] = {}
    for token in reversed(get_kiwi().tokenize(text)):  # the first morpheme at a start wins
        out[token.start] = token.tag.startswith(_KIWI_FOLLOWERS)
    return out
