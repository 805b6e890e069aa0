"""The commands ``import --type`` and ``unmanaged``, from one Settings value."""

from __future__ import annotations

import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.kinds.registry import catalog
from reconciler.settings import Settings

EXIT_OK, EXIT_ERROR, EXIT_FOUND = 0, 1, 2


def _check_types(types: tuple[str, ...]) -> None:
    known = catalog()
    for type_name in types:
        if type_name not in known:
            raise ReconcilerError(f"--type {type_name}: not a type the reconciler manages "
                                  "(see README, Resource kinds)")
        cls = known[type_name]
        if not cls.listable():
            raise ReconcilerError(f"--type {type_name}: cannot be listed: {cls.unlisted}")


def _owned_ids(state: str) -> set[str]:
    """Physical IDs the inventory holds; no state directory is made just to read it."""
    from reconciler.state.store import StateStore

    if not state.startswith("dynamodb://") and not os.path.exists(
            os.path.join(state, StateStore.FILE_NAME)):
        return set()
    store = StateStore(state)
    try:
        return {row.physical_id for row in store.inventory().values() if row.physical_id}
    finally:
        store.close()


def cmd_import_types(settings: Settings) -> int:
    from reconciler.adopt.type_import import Filters, import_types
    from reconciler.output.render import to_yaml
    from reconciler.runtime import Aws, build_kinds, check_aws

    options = settings.type_import
    if settings.stack_import.stack:
        raise ReconcilerError("import takes --stack NAME or --type TYPE, not both")
    _check_types(options.types)
    with ExitStack() as stack:
        clients = Aws(settings.local, settings.state, stack).clients()
        check_aws(clients)
        tree, report = import_types(
            options.types, build_kinds(clients).get, Filters(options.name_prefix, options.tags),
            settings.owner, _owned_ids(settings.state), clients.account_id(), clients.partition)
    print(report.text(), end="", file=sys.stderr)
    if not report.imported:
        raise ReconcilerError("nothing to import: no resource of those types matched, or "
                              "every one is owned already")
    header = ("# Written by `reconciler import --type " + " --type ".join(options.types)
              + "`. Each resource is adopted on apply (ownership tags), nothing else changes.\n")
    text = header + to_yaml(tree)
    if settings.stack_import.out:
        Path(settings.stack_import.out).write_text(text)
        print(f"wrote {settings.stack_import.out}", file=sys.stderr)
    else:
        print(text, end="")
    return EXIT_OK


def cmd_unmanaged(settings: Settings) -> int:
    from reconciler.adopt.unmanaged import find_unmanaged, listable_types
    from reconciler.engine import reconcile
    from reconciler.runtime import Aws, PseudoParameters, build_kinds, check_aws, load
    from reconciler.state.store import StateStore
    from reconciler.template.intrinsics import resolve

    types = settings.type_import.types
    _check_types(types)
    with ExitStack() as stack:
        clients = Aws(settings.local, settings.state, stack).clients()
        pseudo = PseudoParameters(lambda: clients, settings.stack)
        template = load(settings.path, settings.parameters, pseudo)
        check_aws(clients)
        kinds = build_kinds(clients)
        store = StateStore(settings.state)
        stack.callback(store.close)
        # What the tree declares, as its plan finds it (read only, like plan).
        plan = reconcile.plan(template, store, kinds, resolve, pseudo, settings.engine(None))
        known = {c.physical_id for c in plan.changes if c.physical_id}
        known |= {row.physical_id for row in store.inventory().values() if row.physical_id}
        report = find_unmanaged(types or listable_types(), kinds.get, known, settings.owner)
    if settings.output == "json":
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.text(), end="")
    if report.errors:
        return EXIT_ERROR
    return EXIT_FOUND if report.found else EXIT_OK
