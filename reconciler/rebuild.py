"""Rebuild an owner's inventory from its ownership tags, after its state store was damaged.

The Resource Groups Tagging API lists, region by region, every resource carrying
``reconciler:owner=<owner>`` with its ``reconciler:logical-id``; each ARN maps to its
kind's type and physical ID (``aws/arns.py``), and becomes an inventory row as apply
would have left it (present, the kind's default DeletionPolicy, no recorded properties
or revision: the first apply records those again for what the tree declares). Cost: one
GetResources call per 100 owned resources, plus one DescribeDBProxies listing when a
proxy is among them.

What the Tagging API never returns (IAM roles, and global resources outside us-east-1)
and what cannot carry tags are not rebuilt here: the plan finds a declared one by its
name, or by ``Kind.find`` over its ownership tags, and records it at the next apply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.aws.arns import LOOKED_UP, identify
from reconciler.aws.clients import AwsClients
from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG
from reconciler.engine.context import EngineSettings
from reconciler.engine.planned import REBUILT, default_deletion_policy
from reconciler.errors import ReconcilerError
from reconciler.kinds.registry import catalog
from reconciler.state.base import InventoryRow, Store
from reconciler.state.recovery import Opened, rebuilt, record_rebuilt


def owned_arns(clients: AwsClients, owner: str) -> dict[str, str]:
    """ARN -> logical ID of every resource this owner's tags claim (in the client's region)."""
    tagging = clients.client("resourcegroupstaggingapi")
    found: dict[str, str] = {}
    pages = tagging.get_paginator("get_resources").paginate(
        TagFilters=[{"Key": OWNER_TAG, "Values": [owner]}], ResourcesPerPage=100)
    for page in pages:
        for entry in page.get("ResourceTagMappingList", []):
            tags = {t["Key"]: t["Value"] for t in entry.get("Tags", [])}
            if tags.get(OWNER_TAG) == owner and tags.get(LOGICAL_ID_TAG):
                found[entry["ResourceARN"]] = tags[LOGICAL_ID_TAG]
    return found


def _proxy_names(clients: AwsClients) -> dict[str, str]:
    """DB proxy ARN -> name (the ARN carries the proxy's resource ID, not its name)."""
    pages = clients.client("rds").get_paginator("describe_db_proxies").paginate()
    return {p["DBProxyArn"]: p["DBProxyName"] for page in pages for p in page["DBProxies"]}


def rows_from_tags(clients: AwsClients, owner: str) -> tuple[list[InventoryRow], dict[str, Any]]:
    """The inventory rows the tags prove, and what was left out and why."""
    kinds = catalog()
    by_logical_id: dict[str, list[tuple[str, str | None]]] = {}
    unmanaged: list[str] = []
    proxies: dict[str, str] | None = None
    for arn, lid in owned_arns(clients, owner).items():
        known = identify(arn)
        if known is None or known.type_name not in kinds:
            unmanaged.append(arn)
            continue
        physical_id = known.physical_id
        if physical_id is None and known.type_name in LOOKED_UP:
            if proxies is None:
                try:
                    proxies = _proxy_names(clients)
                except Exception:  # not allowed (no proxy in the tree): leave them out
                    proxies = {}
            physical_id = proxies.get(arn)
        if physical_id is None:
            unmanaged.append(arn)
        else:
            by_logical_id.setdefault(lid, []).append((known.type_name, physical_id))
    rows, ambiguous = [], []
    for lid, claims in sorted(by_logical_id.items()):
        if len(claims) > 1:  # two resources claim one logical ID: guessing could delete one
            ambiguous.append(lid)
            continue
        type_name, physical_id = claims[0]
        rows.append(InventoryRow(
            logical_id=lid, type=type_name, physical_id=physical_id, owner=owner,
            revision=None, state="present", properties={REBUILT: True},
            deletion_policy=default_deletion_policy(kinds[type_name])))
    return rows, {"left_out_arns": sorted(unmanaged), "ambiguous": ambiguous}


def rebuild(clients: AwsClients, store: Store, copy: Path, cause: str | None,
            say: Callable[[str], None]) -> dict[str, Any]:
    """Write the rows the tags prove (rows already there are kept), record the rebuild in
    the store's meta, and say what was recovered."""
    try:
        rows, left_out = rows_from_tags(clients, store.owner)
    except Exception as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ReconcilerError(
            f"the inventory of owner {store.owner} could not be rebuilt from ownership tags "
            f"(tag:GetResources): {detail}; nothing was planned, the next run tries again"
        ) from exc
    present = store.inventory()
    written = [row for row in rows if row.logical_id not in present]
    for row in written:
        store.put_inventory(row)
    types = Counter(row.type for row in rows)
    summary = {"cause": cause, "recovered": len(rows), "types": dict(sorted(types.items())),
               **left_out}
    record_rebuilt(store, copy, summary)
    listed = ", ".join(f"{n} {t}" for t, n in sorted(types.items())) or "none"
    say(f"inventory of owner {store.owner} rebuilt from ownership tags: {len(rows)} resources "
        f"({listed}); kinds the Tagging API does not list are found by name or tags when "
        "planned")
    if left_out["ambiguous"]:
        say("not rebuilt, more than one resource claims the logical ID: "
            + ", ".join(left_out["ambiguous"]))
    return summary


def settings_after_rebuild(opened: Opened, clients: AwsClients, settings: EngineSettings,
                           say: Callable[[str], None]) -> EngineSettings:
    """Before a plan: rebuild the inventory if this owner's store was replaced. A rebuilt
    inventory may lack what the Tagging API does not list, so the plan looks a declared,
    unnamed resource without a row up by its ownership tags (``find_unrecorded``)."""
    if opened.rebuild_from is not None:
        rebuild(clients, opened.store, opened.rebuild_from, opened.cause, say)
        opened.rebuild_from = None
    if rebuilt(opened.store) is not None:
        return replace(settings, find_unrecorded=True)
    return settings
