"""Dependency order and cycles."""

from __future__ import annotations

import pytest

from reconciler.template.graph import (
    check_resources,
    describe_cycle,
    find_cycles,
    topological_order,
)
from reconciler.template.model import ResourceDecl


@pytest.mark.parametrize("edges, order", [
    ({}, []),
    ({"B": [], "A": []}, ["A", "B"]),
    ({"A": ["B"], "B": ["C"], "C": []}, ["C", "B", "A"]),
    # Diamond: D waits for both; ties between ready nodes go by name.
    ({"D": ["B", "C"], "B": ["A"], "C": ["A"], "A": []}, ["A", "B", "C", "D"]),
    ({"Z": [], "Y": ["Z"], "A": []}, ["A", "Z", "Y"]),
    # Targets outside the graph are ignored (the loader reports them).
    ({"A": ["Ghost"]}, ["A"]),
])
def test_topological_order(edges: dict[str, list[str]], order: list[str]) -> None:
    assert topological_order(edges) == order


@pytest.mark.parametrize("edges, cycles", [
    ({"A": ["B"], "B": []}, []),
    ({"A": ["A"]}, [["A"]]),
    ({"C": ["A"], "A": ["B"], "B": ["C"]}, [["A", "B", "C"]]),
    # Two separate cycles, and a node that only leads into one.
    ({"A": ["B"], "B": ["A"], "X": ["Y"], "Y": ["X"], "Q": ["A"]}, [["A", "B"], ["X", "Y"]]),
    # One component with a shortcut: the shortest cycle through its smallest member.
    ({"A": ["B"], "B": ["C", "A"], "C": ["A"]}, [["A", "B"]]),
])
def test_find_cycles(edges: dict[str, list[str]], cycles: list[list[str]]) -> None:
    assert find_cycles(edges) == cycles


def test_long_chain_does_not_hit_the_recursion_limit() -> None:
    edges = {f"N{i:05d}": [f"N{i + 1:05d}"] for i in range(5000)}
    edges["N05000"] = ["N00000"]
    (cycle,) = find_cycles(edges)
    assert len(cycle) == 5001 and cycle[0] == "N00000"
    chain = {f"N{i:05d}": [f"N{i + 1:05d}"] for i in range(5000)} | {"N05000": []}
    order = topological_order(chain)
    assert order[0] == "N05000" and order[-1] == "N00000"


def test_cycle_issue_names_members_at_first_members_line() -> None:
    def decl(name: str, line: int, *deps: str) -> ResourceDecl:
        return ResourceDecl(name, "AWS::KMS::Key", {}, f"desired/{name}.yaml", line,
                            depends_on=deps)

    resources = {"B": decl("B", 3, "C"), "C": decl("C", 4, "A"), "A": decl("A", 7, "B"),
                 "Free": decl("Free", 1)}
    order, issues = check_resources(resources)
    assert [str(issue) for issue in issues] == [
        "desired/A.yaml:7: dependency cycle: A -> B -> C -> A"]
    assert order[0] == "Free"


def test_describe_cycle() -> None:
    assert describe_cycle(["A"]) == "A -> A"
