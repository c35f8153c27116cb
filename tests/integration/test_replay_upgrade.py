"""A replay of the current rules (`newsmon backfill` re-classifying stored stories) over a
corpus stored before Korean credits were stripped (2026-12): a stored body is classified as
a pass reads its page now, without its dateline, byline and copyright notice."""

from __future__ import annotations

from pathlib import Path

from newsmon.config import Config, Secrets, SlackConfig
from newsmon.corpus import Store
from newsmon.pipeline import Context, reclassify_batch
from newsmon.rules import load_rules
from tests.integration.test_backfill_overlap import EPOCH
from tests.support.articles import new_article

RULES = Path(__file__).parents[2] / "config" / "topics.yaml"
TITLE = "리눅스 재단, 오픈소스 보안 도구 공개"
# open-source software, no AI in it: the shipped rules' open-source topic needs an AI word
STORY = (
    "리눅스 재단은 1일 서울에서 열린 오픈소스 서밋에서 소프트웨어 공급망 취약점을 찾아내는 새 "
    "오픈소스 보안 도구를 공개했다. 재단은 누구나 소스 코드를 내려받아 고칠 수 있도록 저장소를 "
    "공개했으며 국내 기업 10여 곳이 개발에 참여했다고 밝혔다."
)
# as the previous release stored the page: its notice forbids "AI 학습" (AI training)
STORED = (
    f"(서울=연합뉴스) 홍길동 기자 = {STORY}\n홍길동 기자 hong@yna.co.kr\n"
    "ⓒ 연합뉴스, 무단 전재-재배포, AI 학습 및 활용 금지"
)


def test_a_replay_does_not_announce_a_story_for_its_stored_copyright_notice(
    db_url: str,
) -> None:
    """Before: the stored notice's "AI" gave a story about open-source software the AI word
    the open-source topic requires; the replay matched it and queued an alert in #oss."""
    rules = load_rules(RULES)
    assert not rules.classify(TITLE, STORY)  # the page read now: no topic
    config = Config(slack=SlackConfig(channels={"open-source": "#oss"}))
    store = Store.open(db_url)
    try:
        article = store.add_article(
            new_article("https://yna.example/1", STORED, title=TITLE, language="ko")
        )
        ctx = Context(config, rules, store, secrets=Secrets())
        [batch] = list(store.reclassify_batches(EPOCH, None))
        outcome = reclassify_batch(ctx, batch, queue_alerts=True, any_age=True)
        assert (outcome.alerts_queued, store.matches_of(article.id)) == (0, [])
        assert store.pending_alerts(10) == []
    finally:
        store.close()
