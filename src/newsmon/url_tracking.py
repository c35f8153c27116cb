"""Query parameters that identify a campaign, a click or the feed a link was read in, never the
document: `urls.clean_url` drops them. Canonical URLs are stored keys: a change here re-keys
articles (`urls.former_link_key` gives a link's key as it was before the last change).
"""

from __future__ import annotations

import re

# Query parameters that identify a campaign or a click, never the document.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "spm",
        "cmpid",
        "ncid",
        "ocid",
        "sr_share",
        "s_cid",
        "at_medium",
        "at_campaign",
        # Matomo's (formerly Piwik's) campaign parameters: by name, since `pk_` alone also
        # begins names that pick the document ("primary key": `view.php?pk_id=12`)
        "pk_campaign",
        "pk_cpn",
        "pk_kwd",
        "pk_keyword",
        "pk_source",
        "pk_medium",
        "pk_content",
        "pk_cid",
        "pk_group",
        "pk_placement",
        "pk_vid",
    }
)
TRACKING_PREFIXES = ("utm_", "itm_", "mtm_", "hsa_", "oly_")
# Parameters CMSs add to feed links to count clicks from the feed (`?from=rss`, `?ref=rss_main`,
# `?source=RSS`): by name and value, since these names also pick documents (`?source=2`). Until
# 2026-12 they stayed in keys: `former_link_key` gives the key a link had then.
FEED_MARK_PARAMS = frozenset({"from", "ref", "source", "src", "rf", "via", "referrer", "refer"})
_FEED_MARK_VALUE = re.compile(r"(?:rss\d?|atom|feeds?|feedburner|rssfeed)(?:[_.-][\w.-]*)?", re.I)


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def is_tracking_param(name: str, value: str) -> bool:
    """Whether a query parameter (decoded) is no part of the document's address."""
    return _is_tracking(name) or _is_feed_mark(name, value)


def _is_feed_mark(name: str, value: str) -> bool:
    return name.lower() in FEED_MARK_PARAMS and bool(_FEED_MARK_VALUE.fullmatch(value))


def is_former_tracking_param(name: str, value: str) -> bool:
    """`is_tracking_param` as it was until 2026-12: feed marks were kept."""
    return _is_tracking(name)
