"""What one pass shares: configuration, topic rules, the corpus and the secrets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from newsmon.config import Config, Secrets
from newsmon.corpus import Store
from newsmon.fetch import Fetcher
from newsmon.pipeline.claims import PassClaim
from newsmon.rules import Rules, load_rules


@dataclass
class Context:
    """Shared by every stage of a pass. HTTP lives in a `Fetcher`, created inside the pass's
    event loop (see `fetching`), because its connections belong to that loop."""

    config: Config
    rules: Rules
    store: Store
    secrets: Secrets = field(default_factory=Secrets.from_env)
    # This pass among others on the same corpus: feeds it claims, when it began.
    claim: PassClaim = field(default_factory=PassClaim)

    @classmethod
    def open(cls, config: Config) -> Context:
        rules = load_rules(config.topics_path())
        store = Store.open(config.database_url)
        return cls(config, rules, store)

    def close(self) -> None:
        self.store.close()

    @asynccontextmanager
    async def fetching(self) -> AsyncIterator[Fetcher]:
        fetcher = Fetcher(self.config.fetch)
        try:
            yield fetcher
        finally:
            await fetcher.aclose()
