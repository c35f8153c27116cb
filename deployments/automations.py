"""Apply deployments/automations.yaml to the Prefect server at PREFECT_API_URL.

    python deployments/automations.py [--file deployments/automations.yaml]

Each automation is created, or replaces the one of the same name, so running this again after
an edit (or by mistake) never leaves two automations acting on the same run: `prefect
automation create --from-file` would add a second copy each time.

An action may name its notification block as `block: <block type slug>/<block name>` instead of
a `block_document_id` (an id that differs on every server): it is looked up here. An automation
whose block does not exist is skipped with one line saying how to create it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.events.schemas.automations import AutomationCore
from prefect.exceptions import ObjectNotFound

HERE = Path(__file__).resolve().parent


def load(
    path: Path, block_id: Callable[[str], UUID | None]
) -> tuple[list[AutomationCore], list[str]]:
    """The automations of a file (a mapping with `automations:`, as Prefect's CLI reads it),
    each action's `block: slug/name` replaced by its block's id; and a line for each automation
    skipped because its block does not exist."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data["automations"] if isinstance(data, dict) else data
    automations, skipped = [], []
    for item in items:
        missing = [
            action.pop("block")
            for action in item.get("actions", [])
            if "block" in action and not _resolve(action, block_id(action["block"]))
        ]
        if missing:
            slug, _, name = missing[0].partition("/")
            skipped.append(
                f"skipped {item['name']}: no notification block {missing[0]} "
                f"(`prefect block create {slug}`, named {name}), then run this again"
            )
            continue
        automations.append(AutomationCore.model_validate(item))
    return automations, skipped


def _resolve(action: dict[str, Any], found: UUID | None) -> bool:
    if found is not None:
        action["block_document_id"] = str(found)
    return found is not None


def block_finder(client: SyncPrefectClient) -> Callable[[str], UUID | None]:
    """Look a block up on the server by `slug/name`."""

    def find(ref: str) -> UUID | None:
        slug, _, name = ref.partition("/")
        try:
            return client.read_block_document_by_name(name, slug, include_secrets=False).id
        except ObjectNotFound:
            return None

    return find


def apply(client: SyncPrefectClient, automations: list[AutomationCore]) -> list[str]:
    """Create or update each automation by name; one line per automation says which."""
    lines = []
    for automation in automations:
        existing = client.read_automations_by_name(automation.name)
        if existing:
            client.update_automation(existing[0].id, automation)
            for extra in existing[1:]:  # copies an earlier `prefect automation create` left
                client.delete_automation(extra.id)
            lines.append(f"updated {automation.name} ({existing[0].id})")
        else:
            lines.append(f"created {automation.name} ({client.create_automation(automation)})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=HERE / "automations.yaml")
    args = parser.parse_args()
    with get_client(sync_client=True) as client:
        automations, skipped = load(args.file, block_finder(client))
        for line in [*apply(client, automations), *skipped]:
            print(line)


if __name__ == "__main__":
    main()
