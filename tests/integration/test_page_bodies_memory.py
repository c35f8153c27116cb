"""A feed of links to pages that are small on the wire and large decoded (gzip), through
`newsmon run` (the real CLI, Prefect flow and worker pool, in a process of its own): the pass
holds only a bounded number of decoded bodies, however many links the feed has, and stores
every entry."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from newsmon.corpus import Store
from newsmon.corpus.schema import ArticleRow
from newsmon.devsite import serve
from tests.support.hostile_pages import TreeMemory, newsmon_run, write_config

# about two minutes of extraction (100 pages of 5 MiB): `make test-server` and CI run it, `make
# test` leaves it out for its ten minutes
pytestmark = [
    pytest.mark.usefixtures("prefect_harness"),
    pytest.mark.heavy,
    pytest.mark.skipif(
        os.environ.get("NEWSMON_TEST_HEAVY") != "1", reason="NEWSMON_TEST_HEAVY=1 runs it"
    ),
]

MB = 1024 * 1024
LINKS = 100  # fetch.max_entries_per_feed
IN_HAND = 8  # fetch.max_connections: requests in flight, and pages held before analysis
MAIN_LIMIT_MB = 400  # the pass's own process; it was ~690 MB before, with 100 bodies held


def _site(root: Path) -> None:
    """A feed of 100 links to one 5 MiB page (the page cap), sent gzipped: 18 KB each."""
    para = "<p>" + "lorem ipsum dolor sit amet " * 40 + "</p>\n"
    body = "<html><body><article>" + para * (5 * MB // len(para) - 1) + "</article></body></html>"
    (root / "big.gz").write_bytes(gzip.compress(body.encode(), 9))
    items = "".join(
        f"<item><title>Big {i}</title><link>{{{{BASE}}}}/big.html?i={i}</link>"
        "<description>The weather.</description></item>"
        for i in range(LINKS)
    )
    (root / "feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>{items}</channel></rss>'
    )
    route = {
        "file": "big.gz",
        "content_type": "text/html; charset=utf-8",
        "headers": {"Content-Encoding": "gzip"},
    }
    (root / "_routes.json").write_text(json.dumps({"/big.html": route}))


def test_a_feed_of_gzip_pages_costs_a_bounded_number_of_bodies(tmp_path: Path) -> None:
    """Every entry's page was downloaded at once (the fetcher's limits bound requests in
    flight, not what they bring back), and the bodies waited, decoded, for the page workers:
    100 of them from 1.8 MB on the wire. A page is now downloaded only when one of
    `fetch.max_connections` slots is free, held until it is stored."""
    root = tmp_path / "site"
    root.mkdir()
    _site(root)
    with serve(root) as site:
        config = write_config(tmp_path, site, [("big", "/feed.xml")], None)
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["fetch"] = {"allow_private_networks": True, "max_connections": IN_HAND}
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        proc = newsmon_run(config)
        with TreeMemory(proc.pid) as memory:
            try:
                output, _ = proc.communicate(timeout=600)
            finally:
                proc.kill()
        assert sum(1 for path, _ in site.requests if path.startswith("/big.html")) == LINKS
    assert proc.returncode == 0, output
    print(memory.report())
    main = memory.by_process[proc.pid]
    assert main < MAIN_LIMIT_MB * MB, memory.report()
    store = Store.open(f"sqlite:///{tmp_path / 'corpus.db'}")
    try:
        with store.session() as s:
            assert s.scalar(select(func.count()).select_from(ArticleRow)) == LINKS
    finally:
        store.close()
