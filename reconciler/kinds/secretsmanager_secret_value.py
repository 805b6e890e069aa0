"""AWS::SecretsManager::Secret's value: generated or declared, written, never read, never leaked.

The value made from ``GenerateSecretString`` (or declared as ``SecretString``) lives only
inside one function frame. Errors raised from that frame are rebuilt without the value
and without their traceback (structured loggers print frame locals).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from reconciler.errors import ReconcilerError

_PASSWORD_OPTIONS = ("PasswordLength", "ExcludeCharacters", "ExcludeNumbers",
                     "ExcludePunctuation", "ExcludeUppercase", "ExcludeLowercase",
                     "IncludeSpace", "RequireEachIncludedType")
_MASK = "(sensitive value)"


def create_with_value(client: Any, args: dict[str, Any], spec: Any, declared: Any = None,
                      ) -> tuple[dict[str, Any] | None, Exception | None]:
    """CreateSecret with a generated (``spec``) or ``declared`` value. Returns the error
    instead of raising it, so that the caller raises a scrubbed copy from a frame that
    never held the value."""
    hidden: list[str] = [declared] if isinstance(declared, str) else []
    try:
        if spec is not None:
            value = _generate(client, spec, hidden)
            return dict(client.create_secret(**args, SecretString=value)), None
        if isinstance(declared, str):
            return dict(client.create_secret(**args, SecretString=declared)), None
        return dict(client.create_secret(**args)), None
    except Exception as exc:  # any error may quote its parameters: scrub every kind
        return None, scrubbed(exc, hidden)


def put_value(client: Any, secret_id: str, value: str) -> Exception | None:
    """PutSecretValue (a new AWSCURRENT version; botocore fills in its idempotency token).
    Returns a scrubbed error instead of raising, as ``create_with_value`` does."""
    try:
        client.put_secret_value(SecretId=secret_id, SecretString=value)
    except Exception as exc:
        return scrubbed(exc, [value])
    return None

def _generate(client: Any, spec: dict[str, Any], hidden: list[str]) -> str:
    """The secret string; the password and the string are added to ``hidden``."""
    options = {o: spec[o] for o in _PASSWORD_OPTIONS if spec.get(o) is not None}
    password = str(client.get_random_password(**options)["RandomPassword"])
    hidden.append(password)
    template = spec.get("SecretStringTemplate")
    if template is None:
        return password
    document = json.loads(template)
    document[spec["GenerateStringKey"]] = password
    hidden.append(json.dumps(document))
    return hidden[-1]


def generator_problems(spec: dict[str, Any]) -> list[tuple[str, str]]:
    base = "/GenerateSecretString"
    problems: list[tuple[str, str]] = []
    template, key = spec.get("SecretStringTemplate"), spec.get("GenerateStringKey")
    if (template is None) != (key is None):
        problems.append((base, "SecretStringTemplate and GenerateStringKey go together"))
    if isinstance(template, str):
        try:
            parsed = json.loads(template)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            problems.append((f"{base}/SecretStringTemplate", "must be a JSON object"))
    length = spec.get("PasswordLength")
    if isinstance(length, int) and not 1 <= length <= 4096:
        problems.append((f"{base}/PasswordLength", "must be between 1 and 4096"))
    classes = ("ExcludeLowercase", "ExcludeUppercase", "ExcludeNumbers", "ExcludePunctuation")
    if all(spec.get(c) is True for c in classes) and spec.get("IncludeSpace") is not True:
        problems.append((base, "excludes every character type: nothing left to generate from"))
    return problems


def scrubbed(exc: Exception, hidden: list[str]) -> Exception:
    """A copy of ``exc`` that cannot reveal the ``hidden`` values: no traceback, no chained
    context, the values masked in the message (JSON-escaped spellings too)."""
    spellings = {h for h in hidden if h} | {json.dumps(h)[1:-1] for h in hidden if h}

    def mask(text: str) -> str:
        for item in sorted(spellings, key=len, reverse=True):
            text = text.replace(item, _MASK)
        return text

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        response: Any = {"Error": {"Code": str(error.get("Code", "")),
                                   "Message": mask(str(error.get("Message", "")))}}
        return ClientError(response, exc.operation_name)
    return ReconcilerError(f"{type(exc).__name__} while creating the secret: {mask(str(exc))}")
