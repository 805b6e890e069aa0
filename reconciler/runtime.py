"""Wiring for a command: AWS clients, kinds, pseudo parameters, the desired tree."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from reconciler.aws.clients import AwsClients
from reconciler.engine.context import Kinds
from reconciler.kinds.registry import catalog
from reconciler.template.loader import load_tree
from reconciler.template.model import Template

PSEUDO_PARAMETERS = ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix")


class PseudoParameters(Mapping[str, str]):
    """AWS::Region and friends; the account ID costs an STS call, made only when referenced."""

    def __init__(self, clients: AwsClients):
        self._clients = clients

    def __getitem__(self, key: str) -> str:
        if key == "AWS::Region":
            return self._clients.region
        if key == "AWS::AccountId":
            return self._clients.account_id()
        if key == "AWS::Partition":
            return self._clients.partition
        if key == "AWS::URLSuffix":
            return self._clients.url_suffix
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(PSEUDO_PARAMETERS)

    def __len__(self) -> int:
        return len(PSEUDO_PARAMETERS)


def build_kinds(clients: AwsClients) -> Kinds:
    return Kinds(catalog(), lambda cls: cls(clients))


def load(path: str | Path, parameters: Mapping[str, str],
         pseudo: Mapping[str, str] | None = None) -> Template:
    """Load and validate the desired tree; raises ValidationFailed. Conditions may use pseudo
    parameters; the account ID is fetched only if one does."""
    if pseudo is None:
        pseudo = PseudoParameters(AwsClients())
    return load_tree(path, parameters, catalog(), pseudo=pseudo)
