"""Korean news credits in an extracted body: photo captions, an agency's dateline, reporter
e-mail and byline lines, copyright notices.

They are each outlet's chrome, not the story: kept, they reached alert snippets, gave two
stories of one agency shared lines and two outlets' copies of one story different ones, so
dedup joined the first and split the second. Known by their form, never by one site's name:

- a caption is a short line that credits a picture ("[사진=연합뉴스]", "사진 제공=서울시",
  "/그래픽=김철수 기자"), anywhere in the body; a bracketed credit opening a paragraph of the
  story ("[사진 제공=서울시] 과학기술…") goes alone;
- a dateline ("(서울=연합뉴스) 홍길동 기자 =", "【세종=뉴시스】") opens one of the body's first
  lines: that opening goes, the sentence after it stays;
- a byline or e-mail line ("홍길동 기자 hong@yna.co.kr", "[한국경제 홍길동 기자]") and a
  copyright notice ("ⓒ 한국경제 무단전재 및 재배포 금지") go from the body's start and end.

A sentence of the story that names an agency or copyright ("연합뉴스와의 통화에서", "저작권은
대학이 갖는다", a quoted "무단 전재 금지", "저작권자 단체는 무단 학습에 대응하겠다고 밝혔다")
stays: it has no credit's form.
"""

from __future__ import annotations

import re

import re2

# Patterns over untrusted text run on re2 (linear time): the byline's, run on re, split
# addresses glued together ("a.b@c.da.b@c.d…") so many ways that a 200-character line took
# minutes. The dateline's needs a look-ahead re2 lacks; it is anchored and every repeat in it
# bounded, so it reads a few dozen characters whatever the line.


def _compiled(pattern: str) -> re2._Regexp[str]:
    """`pattern` on re2, its `\\s` any Unicode space as re's (re2's is ASCII; U+3000 and
    U+00A0 sit in Korean pages' credits)."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        two = pattern[i : i + 2]
        if two == r"\s":
            out.append(r"\s\pZ" if in_class else r"[\s\pZ]")
            i += 2
            continue
        if pattern[i] == "\\":
            out.append(two)
            i += 2
            continue
        in_class = (pattern[i] == "[") or (in_class and pattern[i] != "]")
        out.append(pattern[i])
        i += 1
    return re2.compile("".join(out))


# a line longer than this is prose, whatever it holds
_LINE_MAX_CHARS = 200
# lines read as the body's start, at most (its title may come first)
_HEAD_LINES = 3
_CAPTION = _compiled(
    r"(?:사진|그래픽|이미지|자료\s*사진|영상|일러스트)\s*(?:제공)?\s*[=＝]"
    r"|[\[(（<]\s*(?:사진|그래픽|이미지|자료)\s*(?:제공|출처)\s*[:：]?\s*[^\])）>]{0,40}[\])）>]"
)
# a picture's credit in brackets opening a line: glued to the paragraph after the picture (feed
# summaries, `<br>` bodies), it goes and the paragraph stays
_OPENING_CAPTION = _compiled(
    r"\s*[\[(（<【]\s*(?:사진|그래픽|이미지|자료\s*사진|영상|일러스트)\s*(?:제공|출처)?\s*[=＝:：]"
    r"[^\])）>】\n]{0,40}[\])）>】]\s*"
)
_DATELINE = re.compile(
    # Korean within the brackets ("서울=연합뉴스", "OSEN=대전"): "(N=1,200)" opens English prose
    r"\s*[\[(（【<](?=[^\])）】>\n]{0,36}[가-힣])"
    r"\s*[가-힣A-Za-z·\s]{1,15}[=＝][^\])）】>]{1,20}[\])）】>]"
    r"(?!의|에|와|과|은|는|이|가|을|를|로|도)"  # "(서울=연합뉴스)의 보도": the story's words
    r"(?:\s*[^=＝\n]{0,40}?(?:기자|특파원|통신원)\s*[=＝])?\s*"
)
_REPORTER = r"[가-힣]{2,4}\s*(?:기자|특파원|통신원|선임기자|객원기자|에디터|PD)"
_EMAIL = r"[\pL\pN_.+-]+@[\pL\pN_-]+(?:\.[\pL\pN_-]+)+"  # \w as re reads it
_BYLINE = _compiled(
    rf"[\[(<【/=\s]*(?:[가-힣A-Za-z0-9·&.\s]{{0,20}}\s)?(?:{_REPORTER}|{_EMAIL})"
    rf"(?:[\s,/·\])>】]*(?:{_REPORTER}|{_EMAIL}))*[\])>】\s]*"
)
_COPYRIGHT_MARK = _compiled(r"(?i)[ⓒ©]|\(c\)|copyright")
# "저작권자" is a notice's word ("<저작권자 연합뉴스 무단전재 금지>") and prose's ("저작권자
# 단체는 무단 학습에 대응하겠다고 밝혔다"): without a mark, a line ending as a sentence is prose
_COPYRIGHT_WORD = "저작권자"
_SENTENCE_END = _compiled(r"다[.!?]?[\"'”’」』)]*\s*$")
# Korean wording only: an English "All rights reserved" line may credit a quoted book's
# excerpt, and the shared corpus's truths keep such lines as the story's
_COPYRIGHT_TERMS = _compiled(r"무단|재배포")


def _caption(line: str) -> bool:
    return len(line) <= _LINE_MAX_CHARS and _CAPTION.search(line) is not None


def _copyright(line: str) -> bool:
    """Whether `line` (short) is a copyright notice: its mark, or the word outside a sentence,
    with Korean wording forbidding reuse."""
    if not _COPYRIGHT_TERMS.search(line):
        return False
    if _COPYRIGHT_MARK.search(line):
        return True
    return _COPYRIGHT_WORD in line and _SENTENCE_END.search(line) is None


def _credit(line: str) -> bool:
    """Whether `line` is a byline, an e-mail line, a copyright notice or a caption."""
    if not line.strip():
        return True
    if len(line) > _LINE_MAX_CHARS:
        return False
    if _copyright(line):
        return True
    return _BYLINE.fullmatch(line) is not None or _caption(line)


def _uncaptioned(line: str) -> str:
    """`line` without a picture's credit opening it, if what follows is more than a caption."""
    if (opening := _OPENING_CAPTION.match(line)) is None or opening.end() == len(line):
        return line
    rest = line[opening.end() :]
    return line if _caption(rest) else rest


def strip_credits(text: str) -> str:
    """`text` without the credits the module's docstring lists; other lines as they were."""
    lines = [line for line in map(_uncaptioned, text.split("\n")) if not _caption(line)]
    while lines and _credit(lines[-1]):
        lines.pop()
    head: list[str] = []
    for i, line in enumerate(lines):
        if i < _HEAD_LINES:
            if _credit(line):
                continue
            if (dateline := _DATELINE.match(line)) is not None and dateline.end() < len(line):
                line = line[dateline.end() :]
        head.append(line)
    return "\n".join(head)
