"""Wiring for a command: AWS (or the local emulator), kinds, pseudo parameters, the tree."""

from __future__ import annotations

import functools
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from reconciler.aws.clients import AwsClients, AwsUnreachable
from reconciler.aws.dynamic_values import DynamicValues
from reconciler.aws.parameter_attributes import ParameterAttributes
from reconciler.aws.ssm_parameter_values import SsmParameterValues
from reconciler.engine.context import Kinds
from reconciler.errors import ReconcilerError
from reconciler.kinds.registry import catalog
from reconciler.template.intrinsics import (
    AVAILABILITY_ZONES,
    EXPORTS,
    PARAMETER_ATTRIBUTES,
    PSEUDO_PARAMETERS,
    SSM_PARAMETERS,
)
from reconciler.template.loader import load_tree
from reconciler.template.model import Template

# Namespace of the stable stack ID made from the stack name (any fixed UUID would do).
_STACK_NAMESPACE = uuid.UUID("6c0b7e9e-4d5e-4d77-9a45-1f3f8e2b9a10")


class PseudoParameters(Mapping[str, Any]):
    """AWS::Region and friends; the account ID costs an STS call, made only when referenced.

    Also this run's availability zones (``AVAILABILITY_ZONES``, for Fn::GetAZs): one EC2
    call the first time a template asks, none when no template uses Fn::GetAZs. Make one
    of these per run, so that a long-lived worker sees zones added to the region.

    ``connect`` hands out the clients, so that nothing (not even ``--local``'s emulator)
    starts for a tree whose conditions use no pseudo parameter."""

    def __init__(self, connect: Callable[[], AwsClients], stack_name: str = "reconciler",
                 exports: Callable[[], Mapping[str, Any]] | None = None,
                 reads_aws: bool = True):
        self._connect = connect
        # Fn::ImportValue: the other trees' exports in the state store, read when first used.
        self._exports = functools.cache(exports) if exports is not None else None
        # There is no stack: AWS::StackName is the tree's name (--stack-name, default the
        # owner) and AWS::StackId an ARN made from it, the same in every run.
        self.stack_name = stack_name
        self._zones: tuple[str, ...] | None = None
        # Fn::ValueOf in Rules and Parameter Store parameter types; without them
        # (``permissions``), such rules are not checked and such parameters are their names.
        self._attributes = ParameterAttributes(connect) if reads_aws else None
        self._ssm = SsmParameterValues(connect) if reads_aws else None
        self._zones_lock = threading.Lock()  # resources are planned concurrently

    def __getitem__(self, key: str) -> Any:
        try:
            return self._value(key)
        except (KeyError, ReconcilerError):
            raise
        except Exception as exc:  # no credentials, no network: say which value needed AWS
            detail = " ".join(str(exc).split()) or type(exc).__name__
            name = "the region's availability zones" if key == AVAILABILITY_ZONES else key
            raise ReconcilerError(f"{name} is read from AWS, which cannot be reached: {detail} "
                                  "(give AWS credentials, or --local)") from exc

    def _value(self, key: str) -> Any:
        if key == AVAILABILITY_ZONES:
            return list(self._availability_zones())
        if key == PARAMETER_ATTRIBUTES:
            if self._attributes is None:
                raise KeyError(key)
            return self._attributes.read
        if key == SSM_PARAMETERS:
            if self._ssm is None:
                raise KeyError(key)
            return self._ssm.read
        if key == EXPORTS:
            if self._exports is None:
                raise KeyError(key)
            try:
                return self._exports()
            except Exception as exc:  # not AWS: the store
                raise ReconcilerError(f"the exports of other trees cannot be read from the "
                                      f"state store: {exc}") from exc
        if key == "AWS::Region":
            return self._connect().region
        if key == "AWS::AccountId":
            return self._connect().account_id()
        if key == "AWS::Partition":
            return self._connect().partition
        if key == "AWS::URLSuffix":
            return self._connect().url_suffix
        if key == "AWS::StackName":
            return self.stack_name
        if key == "AWS::StackId":
            clients = self._connect()
            stable = uuid.uuid5(_STACK_NAMESPACE, self.stack_name)
            return (f"arn:{clients.partition}:cloudformation:{clients.region}:"
                    f"{clients.account_id()}:stack/{self.stack_name}/{stable}")
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter((*PSEUDO_PARAMETERS, AVAILABILITY_ZONES))

    def __len__(self) -> int:
        return len(PSEUDO_PARAMETERS) + 1

    def _availability_zones(self) -> tuple[str, ...]:
        with self._zones_lock:
            if self._zones is None:
                self._zones = tuple(self._connect().availability_zones())
            return self._zones


class Aws:
    """AWS for one command: boto3's standard configuration or, with ``--local``, the emulator
    of a worker running on the same state directory, else one of the command's own. Nothing
    starts until ``clients()`` is first called; the ExitStack stops what was started."""

    def __init__(self, local: bool, state: str | Path, stack: ExitStack):
        self._local = local
        self._state = state
        self._stack = stack
        self._clients: AwsClients | None = None

    def clients(self) -> AwsClients:
        if self._clients is None:
            if self._local:
                self._stack.enter_context(local_aws(self._state))
            self._clients = AwsClients()
        return self._clients


@contextmanager
def local_aws(state: str | Path) -> Iterator[None]:
    """Point boto3 at the emulator recorded in ``state`` if it answers, else start one."""
    from reconciler.aws.local import RECORD_FILE, LocalAws, find_running

    running = find_running(state)
    if running is not None:
        server = LocalAws(port=running.port, region=running.region).attach()
        print(f"local AWS (moto): using {running.endpoint}, the emulator of the worker "
              f"(pid {running.started_by}) recorded in {Path(state) / RECORD_FILE}",
              file=sys.stderr, flush=True)
        try:
            yield
        finally:
            server.stop()
        return
    with LocalAws() as server:
        _announce(server.endpoint)
        yield


@contextmanager
def worker_local_aws(state: str | Path) -> Iterator[Callable[[], None]]:
    """The worker's own emulator, recorded in ``state`` while it runs so that other commands
    given ``--local`` and this state use it. Yields a stop function for exits that cannot
    unwind (the shutdown bound)."""
    from reconciler.aws.local import LocalAws, forget, record

    server = LocalAws().start()

    def stop() -> None:
        forget(server, state)
        server.stop()

    try:
        record(server, state)
        _announce(server.endpoint)
        yield stop
    finally:
        stop()


def _announce(endpoint: str) -> None:
    print(f"local AWS (moto) listening on {endpoint}; try: AWS_ENDPOINT_URL={endpoint} "
          f"AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws s3 ls",
          file=sys.stderr, flush=True)


def check_aws(clients: AwsClients) -> None:
    """Fail fast, with the cause, when AWS cannot be reached or credentials are wrong."""
    try:
        clients.account_id()
    except AwsUnreachable:
        raise
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise ReconcilerError(f"cannot reach AWS (sts:GetCallerIdentity): {detail}") from exc


def build_kinds(clients: AwsClients) -> Kinds:
    return Kinds(catalog(), lambda cls: cls(clients), DynamicValues(clients).read)


def load(path: str | Path, parameters: Mapping[str, str],
         pseudo: Mapping[str, str] | None = None) -> Template:
    """Load and validate the desired tree; raises ValidationFailed. Conditions may use pseudo
    parameters; the account ID is fetched only if one does."""
    if pseudo is None:
        pseudo = PseudoParameters(functools.cache(AwsClients))
    return load_tree(path, parameters, catalog(), pseudo=pseudo)
