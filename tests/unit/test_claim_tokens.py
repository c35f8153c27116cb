"""Outbox claim tokens: one made in a Prefect flow run starts with the run's id, so a killed
run's claims can be found (`claims.lapse_flow_run`), fits `claimed_by` (40) and is unique per
delivery; one made outside a flow run stays random."""

from __future__ import annotations

import uuid

from newsmon.corpus.claims import claim_token, run_prefix


def test_a_flow_runs_tokens_name_it_fit_the_column_and_differ() -> None:
    run = str(uuid.uuid4())
    tokens = [claim_token(run) for _ in range(1000)]
    assert len(set(tokens)) == 1000
    assert all(len(t) == 40 and t.startswith(uuid.UUID(run).hex) for t in tokens)
    assert all(set(t) <= set("0123456789abcdef") for t in tokens)  # nothing LIKE reads as wild


def test_a_token_outside_a_flow_run_is_random_and_names_no_run() -> None:
    for flow_run in (None, "", "not-a-uuid", "50%_"):
        token = claim_token(flow_run)
        assert len(token) == 32 and run_prefix(flow_run) is None
    assert claim_token() != claim_token()
