"""Dependency graphs: a deterministic topological order, and the cycles that prevent one.

Edges map each node to the nodes it depends on. Targets that are not nodes
themselves are ignored here; the loader reports them with their lines.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Collection, Mapping

from reconciler.errors import Issue
from reconciler.template.model import ResourceDecl

Edges = Mapping[str, Collection[str]]


def topological_order(edges: Edges) -> list[str]:
    """Dependencies first; among nodes ready at the same time, the smallest name first.

    Nodes on a cycle cannot be ordered; they come last, by name.
    """
    waiting = {node: {d for d in deps if d in edges} for node, deps in edges.items()}
    dependents: dict[str, list[str]] = {node: [] for node in edges}
    for node, deps in waiting.items():
        for dependency in deps:
            dependents[dependency].append(node)
    ready = [node for node, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for dependent in dependents[node]:
            waiting[dependent].discard(node)
            if not waiting[dependent]:
                heapq.heappush(ready, dependent)
    placed = set(order)
    return order + sorted(node for node in edges if node not in placed)


def find_cycles(edges: Edges) -> list[list[str]]:
    """One cycle per strongly connected component that has one, as the path of its members.

    Each cycle starts at its smallest member, so ``[A, B, C]`` reads ``A -> B -> C -> A``.
    """
    cycles = []
    for component in _strongly_connected(edges):
        start = min(component)
        if len(component) == 1 and start not in edges[start]:
            continue
        cycles.append(_cycle_through(start, component, edges))
    return sorted(cycles)


def describe_cycle(cycle: list[str]) -> str:
    return " -> ".join([*cycle, cycle[0]])


def check_resources(resources: Mapping[str, ResourceDecl]) -> tuple[list[str], list[Issue]]:
    """The apply order of ``resources`` and an issue for every dependency cycle among them."""
    edges = {name: decl.depends_on for name, decl in resources.items()}
    issues = []
    for cycle in find_cycles(edges):
        first = resources[cycle[0]]
        issues.append(Issue(first.file, first.line, f"dependency cycle: {describe_cycle(cycle)}"))
    return topological_order(edges), issues


def _strongly_connected(edges: Edges) -> list[set[str]]:
    """Tarjan's algorithm, iterative so that long chains cannot hit the recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(d for d in edges[root] if d in edges)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(d for d in edges[successor]
                                                        if d in edges))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _cycle_through(start: str, component: set[str], edges: Edges) -> list[str]:
    """The shortest path from ``start`` back to itself inside one component (breadth first)."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in sorted(edges[node]):
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return list(reversed(path))
            if successor in component and successor not in previous:
                previous[successor] = node
                queue.append(successor)
    return [start]  # unreachable for a real cycle
