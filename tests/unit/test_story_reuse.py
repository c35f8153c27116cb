"""Another story under a stored story's key, or an edit of it (newsmon.story_reuse)."""

from __future__ import annotations

from newsmon.story_reuse import another_story

TITLE = "메타, 라마 가중치 오픈소스로 공개"
OPENING = (
    "메타가 새 언어모델 라마의 가중치를 오픈소스 라이선스로 내려받게 했다. 회사는 이번 모델이 "
    "이전 모델보다 추론 속도가 두 배 빠르다고 밝혔다."
)


def test_a_different_headline_and_teaser_is_another_story() -> None:
    teaser = "서울의 한 스타트업이 한국어 번역 모델의 가중치를 깃허브에 공개했다고 밝혔다."
    assert another_story("국내 스타트업, 번역 모델 공개", teaser, TITLE, OPENING)
    assert another_story(
        "EU adopts the AI Act's code of practice",
        "Brussels published the final code of practice for general-purpose models on Thursday.",
        "OpenAI releases open-weight models",
        "OpenAI released two open-weight language models under the Apache 2.0 licence today.",
    )


def test_edits_stay_edits() -> None:
    # a headline reworded, or grown, over the same text
    assert not another_story("[속보] 메타, 라마 가중치 전면 공개", OPENING[:60], TITLE, OPENING)
    assert not another_story(
        TITLE + "…커뮤니티 환영", "전혀 다른 요약 문장입니다 이번에는", TITLE, OPENING
    )
    # a new teaser under the same headline
    assert not another_story(
        TITLE, "완전히 새로 쓴 요약: 개발자들의 반응을 담았다.", TITLE, OPENING
    )
    # nothing to compare: as before, an edit
    assert not another_story("다른 제목", "", TITLE, OPENING)
    assert not another_story("다른 제목", "다른 요약", None, OPENING)
    assert not another_story("다른 제목", "다른 요약", TITLE, "")
