"""Apply deployments/automations.yaml to the Prefect server at PREFECT_API_URL.

    python deployments/automations.py [--file deployments/automations.yaml]

Each automation is created, or replaces the one of the same name, so running this again after
an edit (or by mistake) never leaves two automations acting on the same run: `prefect
automation create --from-file` would add a second copy each time. One this script applied earlier
from a file of the same name (tagged newsmon-automations-file and
newsmon-automations-file:<file name>) that the file no longer names, renamed or removed there,
is deleted with a line; automations made otherwise, or from another file, are never touched.

An action may name its notification block as `block: <block type slug>/<block name>` instead of
a `block_document_id` (an id that differs on every server): it is looked up here. An automation
whose block does not exist is skipped with one line saying how to create it.

The file is checked before anything is sent: a key Prefect does not know (a misspelt
`actions_on_resolve`, `with_in`) would be dropped without a word by Prefect's models and the
automation would do less than it says, so it stops the script with one line naming it, as does
a value Prefect refuses or a `block:` that is not `slug/name`; nothing is applied then. So does
a trigger that waits for another automation's event by `prefect.resource.name` when no
automation of that name is in the file: after a rename it would wait for ever, without a word.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.events.schemas.automations import AutomationCore
from prefect.exceptions import ObjectNotFound
from pydantic import BaseModel, RootModel, ValidationError

HERE = Path(__file__).resolve().parent


class FileError(ValueError):
    """The automations file cannot be applied as written; the message is one line."""


def load(
    path: Path, block_id: Callable[[str], UUID | None]
) -> tuple[list[AutomationCore], list[str]]:
    """The automations of a file (a mapping with `automations:`, as Prefect's CLI reads it),
    each action's `block: slug/name` replaced by its block's id; and a line for each automation
    skipped because its block does not exist."""
    items = _items(path)
    for number, item in enumerate(items, 1):
        _check(item, f"{path.name}: automation {item.get('name') or number}")
    _check_references(items, path.name)
    automations, skipped = [], []
    for item in items:
        missing = [
            action.pop("block")
            for action in _actions(item)
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


def _items(path: Path) -> list[dict[str, Any]]:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise FileError(f"{path}: cannot be read: {' '.join(str(e).split())}") from None
    items = data.get("automations") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise FileError(f"{path.name}: expected `automations:`, a list of mappings")
    return items


ACTION_KEYS = ("actions", "actions_on_trigger", "actions_on_resolve")


def _actions(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for key in ACTION_KEYS for a in item.get(key) or [] if isinstance(a, dict)]


def _check(item: dict[str, Any], where: str) -> None:
    """Raise FileError for the first thing Prefect would refuse or silently drop."""
    bad = [a["block"] for a in _actions(item) if "block" in a]
    bad = [
        b for b in bad if not (isinstance(b, str) and b.count("/") == 1 and "" not in b.split("/"))
    ]
    if bad:
        raise FileError(f"{where}: block: {bad[0]!r} is not <block type slug>/<block name>")
    # validated as sent: the block looked up stands as an id (any id: only its form is checked)
    data: dict[str, Any] = dict(item)
    for key in ACTION_KEYS:
        if key in item:
            data[key] = [_without_block(a) for a in item[key] or []]
    try:
        model = AutomationCore.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise FileError(f"{where}: {loc}: {first['msg']}") from None
    unknown = _unknown(data, model, "")
    if unknown:
        raise FileError(f"{where}: unknown key {unknown[0]} (Prefect would ignore it)")


def _check_references(items: list[dict[str, Any]], where: str) -> None:
    """Raise FileError for a trigger that matches an automation's own events by a name no
    automation of the file has (automations.py applies only this file's automations)."""
    names = {str(item.get("name")) for item in items}
    for item in items:
        for trigger in _triggers(item.get("trigger")):
            match = trigger.get("match")
            if not isinstance(match, dict):
                continue
            ids = match.get("prefect.resource.id")
            ids = [ids] if isinstance(ids, str) else ids or []
            if not any(isinstance(i, str) and i.startswith("prefect.automation.") for i in ids):
                continue
            wanted = match.get("prefect.resource.name")
            wanted = [wanted] if isinstance(wanted, str) else wanted or []
            # Prefect's own label patterns: a trailing `*` is a prefix, a leading `!` excludes
            unknown = [
                w
                for w in wanted
                if isinstance(w, str)
                and not w.startswith("!")
                and not any(fnmatchcase(n, w) for n in names)
            ]
            if unknown:
                raise FileError(
                    f"{where}: automation {item.get('name')}: its trigger waits for automation "
                    f"{unknown[0]!r}, which is not in this file (renamed?): it would never act"
                )


def _triggers(trigger: Any) -> list[dict[str, Any]]:
    """A trigger and, for a compound or sequence trigger, each trigger inside it."""
    if not isinstance(trigger, dict):
        return []
    return [trigger, *(t for child in trigger.get("triggers") or [] for t in _triggers(child))]


def _without_block(action: Any) -> Any:
    if not isinstance(action, dict) or "block" not in action:
        return action
    return {
        **{k: v for k, v in action.items() if k != "block"},
        "block_document_id": str(UUID(int=0)),
    }


def _unknown(data: Any, model: Any, at: str) -> list[str]:
    """Keys of `data` that no field of the validated `model` took, depth first."""
    if isinstance(data, list) and isinstance(model, list):
        pairs = enumerate(zip(data, model, strict=False))
        return [k for i, (d, m) in pairs for k in _unknown(d, m, f"{at}[{i}]")]
    if (
        not isinstance(data, dict)
        or not isinstance(model, BaseModel)
        or isinstance(model, RootModel)
    ):
        return []
    fields = type(model).model_fields
    known = {name: name for name in fields} | {f.alias: n for n, f in fields.items() if f.alias}
    found = []
    for key, value in data.items():
        name = f"{at}.{key}" if at else str(key)
        if key not in known:
            found.append(name)
        else:
            found += _unknown(value, getattr(model, known[key]), name)
    return found


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


FROM_FILE = "newsmon-automations-file"
"""The tag of each automation this script applied, and with `:<file name>` (`file_tag`) of
those applied from one file: one of them whose name that file no longer has was renamed or
removed there, and is deleted rather than left acting next to its new copy."""


def file_tag(path: Path) -> str:
    """The tag of the automations applied from the file `path`: another file applied (`--file
    extra.yaml`) leaves them alone, where it deleted every automation it does not name."""
    return f"{FROM_FILE}:{path.name}"


def apply(
    client: SyncPrefectClient,
    automations: list[AutomationCore],
    in_file: list[str],
    source: str = file_tag(HERE / "automations.yaml"),
) -> list[str]:
    """Create or update each automation by name, delete those this script applied earlier from
    the same file (tagged `source`) whose name `in_file` (every automation of the file, skipped
    or not) lacks; one line for each."""
    lines = []
    for automation in automations:
        tags = [t for t in automation.tags if t.partition(":")[0] != FROM_FILE]
        automation = automation.model_copy(update={"tags": [*tags, FROM_FILE, source]})
        existing = client.read_automations_by_name(automation.name)
        if existing:
            client.update_automation(existing[0].id, automation)
            for extra in existing[1:]:  # copies an earlier `prefect automation create` left
                client.delete_automation(extra.id)
            lines.append(f"updated {automation.name} ({existing[0].id})")
        else:
            lines.append(f"created {automation.name} ({client.create_automation(automation)})")
    for gone in _every_automation(client):
        if source in gone.tags and gone.name not in in_file:
            client.delete_automation(gone.id)
            lines.append(f"deleted {gone.name} ({gone.id}): no longer in the file (renamed?)")
    return lines


def _every_automation(client: SyncPrefectClient) -> list[Any]:
    """Every automation on the server, page by page (one request returns at most 200)."""
    found: list[Any] = []
    while page := client.read_automations(limit=200, offset=len(found)):
        found += page
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=HERE / "automations.yaml")
    args = parser.parse_args()
    with get_client(sync_client=True) as client:
        try:
            automations, skipped = load(args.file, block_finder(client))
        except FileError as e:
            raise SystemExit(f"automations.py: {e}; nothing applied") from None
        names = [str(item.get("name")) for item in _items(args.file)]
        for line in [*apply(client, automations, names, file_tag(args.file)), *skipped]:
            print(line)


if __name__ == "__main__":
    main()
