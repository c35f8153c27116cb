"""A feed's links to crafted hosts cost `host_key` a bounded CPU time each.

A host of 253 characters in one non-ASCII label (or several near 63) is not a DNS name, but
feeds carry such links and every comparison of hosts keys them. Python's punycode codec scans a
label once per distinct character, and IDNA computed it before refusing the label for its
length, then the browsers' spelling computed it again: ~28 ms of CPU per host (5 ms for labels
near 63), so a feed of 100 such links cost its pass ~3 s. The cache (one per host) does not help
with hosts that all differ. Now ~1 ms each, whatever the labels.
"""

from __future__ import annotations

import random
import time

from newsmon.hosts import host_key

HOSTS = 100
# before: ~2.8 s for the single labels (~28 ms each); now ~0.15 s
CPU_SECONDS = 1.0


def _hosts(label: int) -> list[str]:
    """Distinct hosts of 253 Hangul characters, in labels of `label` characters."""
    pick = random.Random(label)
    out = []
    for _ in range(HOSTS):
        chars = "".join(chr(pick.randint(0xAC00, 0xD7A3)) for _ in range(253))
        out.append(".".join(chars[at : at + label] for at in range(0, 253, label + 1)))
    return out


def test_crafted_hosts_cost_host_key_a_bounded_cpu_time_each() -> None:
    for label in (253, 63):
        hosts = _hosts(label)
        host_key.cache_clear()
        started = time.process_time()
        keys = [host_key(host) for host in hosts]
        spent = time.process_time() - started
        assert spent < CPU_SECONDS, f"{spent:.2f} s of CPU for {HOSTS} hosts of {label}"
        # each is spelled as a browser spells it: a label of punycode each, all distinct
        assert len(set(keys)) == HOSTS
        assert all(k.isascii() and k.startswith("xn--") for k in keys)
        assert [k.count(".") for k in keys] == [h.count(".") for h in hosts]
