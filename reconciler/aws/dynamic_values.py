"""Reads the value behind a dynamic reference: Secrets Manager or SSM Parameter Store.

Called by the engine at apply time only (``reconciler/engine/dynamic.py``), once per
reference per run. Errors name the reference, never a value.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds.base import AwsClients
from reconciler.template.dynamic_refs import DynamicReference, DynamicReferenceError


class DynamicValues:
    def __init__(self, clients: AwsClients):
        self.clients = clients

    def read(self, reference: DynamicReference) -> str:
        try:
            if reference.service == "secretsmanager":
                return self._secret(reference)
            return self._parameter(reference)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            message = error.response.get("Error", {}).get("Message", "")
            raise DynamicReferenceError(f"{reference.text}: {code}: {message}") from None

    def _secret(self, reference: DynamicReference) -> str:
        args: dict[str, Any] = {"SecretId": reference.name}
        if reference.version_stage:
            args["VersionStage"] = reference.version_stage
        if reference.version_id:
            args["VersionId"] = reference.version_id
        response = self.clients.client("secretsmanager").get_secret_value(**args)
        text = response.get("SecretString")
        if text is None:
            raise DynamicReferenceError(f"{reference.text}: the secret has no SecretString "
                                        "(binary secrets cannot be referenced)")
        if reference.json_key is None:
            return str(text)
        try:
            document = json.loads(text)
        except ValueError:
            raise DynamicReferenceError(f"{reference.text}: the secret is not JSON, so it has "
                                        f"no key '{reference.json_key}'") from None
        if not isinstance(document, dict) or reference.json_key not in document:
            raise DynamicReferenceError(f"{reference.text}: the secret has no key "
                                        f"'{reference.json_key}'")
        value = document[reference.json_key]
        return value if isinstance(value, str) else json.dumps(value)

    def _parameter(self, reference: DynamicReference) -> str:
        name = reference.name if reference.version is None \
            else f"{reference.name}:{reference.version}"
        response = self.clients.client("ssm").get_parameter(
            Name=name, WithDecryption=reference.service == "ssm-secure")
        return str(response["Parameter"]["Value"])
