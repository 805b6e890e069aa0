"""Stand-ins for AwsClients around botocore-stubbed clients, for what moto cannot show."""

from __future__ import annotations

from typing import Any


class OneClient:
    """Hands out one (stubbed) client for every service."""

    region = "us-east-1"

    def __init__(self, client: Any) -> None:
        self._client = client

    def client(self, service: str, retries: bool = True) -> Any:
        return self._client
