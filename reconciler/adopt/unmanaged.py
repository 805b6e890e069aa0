"""``reconciler unmanaged``: resources of the managed types that no tree declares.

Every listable type's resources (what AWS made itself is left out by the listing), less
what the inventory holds and what the tree's plan finds, compared by physical ID. Each
one left is read once for its ownership tags: one tagged by another reconciler instance
belongs to that instance's tree and is counted apart; one tagged by this owner but held
nowhere is a leak, and listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.aws.normalize import OWNER_TAG
from reconciler.kinds.base import Kind
from reconciler.kinds.registry import catalog


@dataclass
class Unmanaged:
    type: str
    physical_id: str
    name: str | None = None  # the Name tag, where there is one
    owner: str | None = None  # this owner's tag on a resource held nowhere (a leak)


@dataclass
class UnmanagedReport:
    found: list[Unmanaged] = field(default_factory=list)
    other_owners: dict[str, int] = field(default_factory=dict)  # instance -> resources
    types: list[str] = field(default_factory=list)  # the types listed
    errors: list[tuple[str, str]] = field(default_factory=list)  # type, why listing failed

    def to_json(self) -> dict[str, Any]:
        return {"unmanaged": [vars(u) for u in self.found], "types": self.types,
                "owned_by_other_instances": self.other_owners,
                "errors": [{"type": t, "error": e} for t, e in self.errors]}

    def text(self) -> str:
        lines = [f"{u.type} {u.physical_id}" + (f" ({u.name})" if u.name else "")
                 + (f": tagged as owned by {u.owner}, but neither the inventory nor the tree "
                    "holds it" if u.owner else "") for u in self.found]
        lines.append(f"{len(self.found)} unmanaged resource(s) in {len(self.types)} types")
        lines += [f"{count} owned by reconciler instance '{owner}' (left out)"
                  for owner, count in sorted(self.other_owners.items())]
        lines += [f"error: listing {t} failed: {e}" for t, e in self.errors]
        return "\n".join(lines) + "\n"


def listable_types() -> list[str]:
    return [t for t, cls in catalog().items() if cls.listable()]


def find_unmanaged(types: Iterable[str], kinds: Callable[[str], Kind], known: set[str],
                   owner: str) -> UnmanagedReport:
    report = UnmanagedReport(types=list(types))
    for type_name in report.types:
        kind = kinds(type_name)
        try:
            listed = kind.list_physical_ids()
        except Exception as error:  # one type alone: the others are still listed
            report.errors.append((type_name, " ".join(str(error).split())[:300]))
            continue
        for physical_id in listed:
            if physical_id in known:
                continue
            tags = _tags(kind, physical_id)
            tag_owner = tags.get(OWNER_TAG)
            if tag_owner is not None and tag_owner != owner:
                report.other_owners[tag_owner] = report.other_owners.get(tag_owner, 0) + 1
                continue
            report.found.append(Unmanaged(type_name, physical_id, tags.get("Name"),
                                          tag_owner))
    return report


def _tags(kind: Kind, physical_id: str) -> dict[str, str]:
    if not kind.taggable:
        return {}
    try:
        observed = kind.observe(physical_id, {})
    except Exception:  # unreadable tags: listed as unmanaged all the same
        return {}
    return dict(observed.tags or {}) if observed is not None else {}
