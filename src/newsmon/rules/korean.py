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
# the one that also takes a verb ending: 오픈소스화했다, 오픈소스화된 (성, 적 take particles)
VERB_NOUN_SUFFIX = "화"
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


# Native verbs in dictionary form (올리다, 내려받다, 풀다, 바꾸다, 내놓다): the regular
# conjugations, built from the stem's last syllable. Irregular verbs (듣다 → 들어, 돕다 → 도와,
# 부르다 → 불러) match only their regular forms (듣고, 돕는).
_BASE, _MEDIALS, _FINALS = 0xAC00, 21, 28
_N, _L, _B, _SS, _H = 4, 8, 17, 20, 27  # finals: ㄴ ㄹ ㅂ ㅆ ㅎ
_A, _AE, _EO, _E, _YEO, _O, _WA, _WAE, _OE, _U, _WO, _EU, _I = (
    0,
    1,
    4,
    5,
    6,
    8,
    9,
    10,
    11,
    13,
    14,
    18,
    20,
)
# what 아/어 makes of a final vowel (ㅣ+어 → ㅕ: 올려; ㅜ+어 → ㅝ: 바꿔; ㅗ+아 → ㅘ: 봐);
# ㅏ ㅓ ㅐ ㅔ ㅕ absorb it (가, 서, 보내); ㅡ drops (써, 모아); ㅟ ㅢ do not contract (쉬어)
_CONTRACT = {_I: _YEO, _U: _WO, _O: _WA, _OE: _WAE, _A: _A, _EO: _EO, _AE: _AE, _E: _E, _YEO: _YEO}
# The first syllable of an ending after an unchanged stem: 올리고, 받는, 풀면, 받았다, 받을
_AFTER_ANY_STEM = "고|지|기|게|겠|다|던|든|도|자|며|면|네|나|냐|라|려|러"
_AFTER_VOWEL_STEM = "는|니|시|세|셔|셨|어|었|아|았|여|였|서|야|요"
_AFTER_CONSONANT_STEM = "는|니|아|어|았|었|은|을|음|으|습"
_AFTER_L_STEM = "어|었|아|았"
_AFTER_L_DROPPED = "(?=는|니|시|세|셔|셨|네)"
# a modifier (올린, 올릴) ends the word, or goes on as an ending: 올린다, 올릴까 (not 간담회, 갈등)
_AFTER_N = r"(?=다|데|지)|(?!\w)"
_AFTER_L = r"(?=까|게|지|래|걸|텐|수록)|(?!\w)"
_AFTER_B = "(?=니|시)"  # 올립니다, 풉시다


def _syllable(initial: int, medial: int, final: int) -> str:
    return chr(_BASE + (initial * _MEDIALS + medial) * _FINALS + final)


def _open_and_past(initial: int, vowel: int) -> list[str]:
    """The syllable a contraction leaves, and its past form: 려 and 렸."""
    return [_syllable(initial, vowel, 0), _syllable(initial, vowel, _SS)]


def _jamo(syllable: str) -> tuple[int, int, int]:
    code = ord(syllable) - _BASE
    return code // (_MEDIALS * _FINALS), code // _FINALS % _MEDIALS, code % _FINALS


def native_verb_stem(word: str) -> str | None:
    """The stem of a native verb in dictionary form (올리다 → 올리), None for anything else:
    하다/되다/시키다 verbs have their own tables, and a word must be all Hangul syllables."""
    if len(word) < 2 or not word.endswith("다") or word.endswith(DICTIONARY_ENDINGS):
        return None
    if not all("\uac00" <= ch <= "\ud7a3" for ch in word):
        return None
    return word[:-1]


def conjugated_last_syllable(stem: str) -> str:
    """A regex for the stem's last syllable as its conjugations write it, with what must follow
    where that syllable is unchanged (a lookahead; what comes after is any Hangul)."""
    last = stem[-1]
    initial, medial, final = _jamo(last)
    ending = _AFTER_ANY_STEM
    changed: list[str] = []
    follow: dict[str, str] = {}  # a changed syllable, and what must (not) come after it
    if final == 0:
        ending += "|" + _AFTER_VOWEL_STEM
        if medial in _CONTRACT:
            changed += _open_and_past(initial, _CONTRACT[medial])
        if medial == _EU:  # 써, but 모아 after ㅏ or ㅗ
            before = _jamo(stem[-2])[1] if len(stem) > 1 else None
            changed += _open_and_past(initial, _A if before in (_A, _O) else _EO)
        follow[_syllable(initial, medial, _N)] = _AFTER_N  # 올린, 올린다
        follow[_syllable(initial, medial, _L)] = _AFTER_L  # 올릴, 올릴까
        follow[_syllable(initial, medial, _B)] = _AFTER_B  # 올립니다
    elif final == _L:
        ending += "|" + _AFTER_L_STEM
        follow[_syllable(initial, medial, 0)] = _AFTER_L_DROPPED  # 푸는, 푸니
        follow[_syllable(initial, medial, _N)] = _AFTER_N  # 푼
        follow[_syllable(initial, medial, _B)] = _AFTER_B  # 풉니다
    else:
        ending += "|" + _AFTER_CONSONANT_STEM
        if final == _H and medial == _O:  # 놓아 → 놔, 놨 (내놓다 → 내놨다)
            changed += _open_and_past(initial, _WA)
    # a contraction that leaves the syllable as it was (가 + 아 → 가) is an ending of its own
    changed = [c for c in dict.fromkeys(changed) if c != last]
    alternatives = [f"{re.escape(last)}(?={ending})"]
    alternatives += [f"{re.escape(c)}(?:{after})" for c, after in follow.items()]
    alternatives += [re.escape(c) for c in changed]
    return f"(?:{'|'.join(alternatives)})"
