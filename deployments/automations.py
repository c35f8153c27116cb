"""Apply deployments/automations.yaml to the Prefect server at PREFECT_API_URL.

    python deployments/automations.py [--file deployments/automations.yaml]

Each automation is created, or replaces the one of the same name, so running this again after
an edit (or by mistake) never leaves two automations acting on the same run: `prefect
automation create --from-file` would add a second copy each time.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.events.schemas.automations import AutomationCore

HERE = Path(__file__).resolve().parent


def load(path: Path) -> list[AutomationCore]:
    """The automations of a file (a mapping with `automations:`, as Prefect's CLI reads it)."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data["automations"] if isinstance(data, dict) else data
    return [AutomationCore.model_validate(item) for item in items]


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
    automations = load(args.file)
    with get_client(sync_client=True) as client:
        for line in apply(client, automations):
            print(line)


if __name__ == "__main__":
    main()
