"""OAuth's implicit grant writes its tokens after `#` (`#access_token=…&token_type=bearer`,
`#id_token=…`): an address copied from a browser carries them so. A feed configured with one
is read, but the token is stored, logged and shown nowhere."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from newsmon.devsite import serve
from newsmon.pipeline import Context, FeedOutcome, process_feed
from tests.flows.test_feed_secrets_flow import corpus_texts_holding
from tests.support.configs import make_config

TOKEN = "ya29-fragmentsecret"


def test_a_feed_whose_address_carries_a_token_after_the_hash_stores_and_logs_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "_routes.json").write_text(json.dumps({}))
    with serve(tmp_path) as site:
        items = "".join(
            f"<item><title>FTC notice {n}</title><guid isPermaLink='false'>note-{n}</guid>"
            f"<description>The FTC opened inquiry {n} into model weights.</description></item>"
            for n in range(2)
        )
        (tmp_path / "private.xml").write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
            "</channel></rss>"
        )
        path = f"/private.xml#access_token={TOKEN}&token_type=bearer"
        config = make_config(tmp_path, feeds=[("private", path)], base=site.base)
        ctx = Context.open(config)
        try:

            async def go() -> FeedOutcome:
                async with ctx.fetching() as fetcher:
                    return await process_feed(ctx, fetcher, config.feeds[0], force=True)

            with caplog.at_level(logging.DEBUG):
                outcome = asyncio.run(go())
        finally:
            ctx.close()
    assert outcome.ok and outcome.new_articles == 2, outcome
    assert corpus_texts_holding(tmp_path / "corpus.db", TOKEN) == []
    assert [r.getMessage() for r in caplog.records if TOKEN in r.getMessage()] == []
