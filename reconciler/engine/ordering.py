"""Run work over a dependency graph: each item starts once its dependencies finished."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any


def run_in_dependency_order(
    items: Iterable[str],
    depends_on: Mapping[str, Iterable[str]],
    work: Callable[[str], None],
    max_workers: int,
) -> None:
    """Call ``work(item)`` for every item, concurrently up to ``max_workers``, never before the
    item's dependencies (those among ``items``) are done. ``work`` must not raise."""
    pending = list(items)
    wanted = set(pending)
    deps = {i: {d for d in depends_on.get(i, ()) if d in wanted and d != i} for i in pending}
    done: set[str] = set()
    if max_workers <= 1:
        for item in _topological(pending, deps):
            work(item)
        return
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="observe") as pool:
        running: dict[Future[None], str] = {}
        while pending or running:
            ready = [i for i in pending if deps[i] <= done]
            for item in ready:
                pending.remove(item)
                running[pool.submit(work, item)] = item
            if not running:
                raise ValueError(f"dependency cycle among {sorted(pending)}")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done.add(running.pop(future))
                future.result()


def _topological(items: list[str], deps: Mapping[str, set[str]]) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()
    remaining = list(items)
    while remaining:
        progressed = False
        for item in list(remaining):
            if deps[item] <= seen:
                order.append(item)
                seen.add(item)
                remaining.remove(item)
                progressed = True
        if not progressed:
            raise ValueError(f"dependency cycle among {sorted(remaining)}")
    return order


def deletion_order(removed: list[str], inventory: Mapping[str, Any]) -> list[str]:
    """Dependents before their dependencies, from the dependencies recorded at apply
    (``inventory`` rows' ``depends_on``)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(lid: str) -> None:
        if lid in seen:
            return
        seen.add(lid)
        for other in removed:
            if lid in inventory[other].depends_on:
                visit(other)
        order.append(lid)

    for lid in sorted(removed):
        visit(lid)
    return order
