"""Shared fixtures: one moto server process over HTTP for the session, reset per test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from reconciler.aws.clients import AwsClients
from reconciler.aws.local import LocalAws
from tests.harness import stack  # noqa: F401  (fixture)
from tests.worker_harness import workers  # noqa: F401  (fixture)


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    """The moto server, started once; boto3 in this process and in child processes
    (through the inherited environment) talks to it over HTTP."""
    with LocalAws(managed_policies=False) as server:
        yield server


@pytest.fixture
def aws(local_aws: LocalAws) -> Iterator[LocalAws]:
    """A clean emulated account for one test."""
    local_aws.reset()
    yield local_aws


@pytest.fixture
def clients(aws: LocalAws) -> AwsClients:
    """Fresh reconciler clients pointed at the emulator."""
    return AwsClients(region=os.environ.get("AWS_REGION", "us-east-1"))
