"""The values of Parameter Store parameters that ``AWS::SSM::Parameter::Value<...>``
template parameters name: one ssm:GetParameter per name, remembered for the command.

As in CloudFormation, a SecureString cannot be such a value (use a dynamic reference,
``{{resolve:ssm-secure:NAME}}``, in the property instead): it is never decrypted here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code
from reconciler.errors import ReconcilerError


class SsmParameterValues:
    """``read(name)``; ``connect`` hands out the clients."""

    def __init__(self, connect: Callable[[], Any]):
        self._connect = connect
        self._seen: dict[str, str] = {}
        self._lock = threading.Lock()

    def read(self, name: str) -> str:
        with self._lock:
            if name in self._seen:
                return self._seen[name]
        try:
            found = self._connect().client("ssm").get_parameter(Name=name)["Parameter"]
        except ClientError as exc:
            if error_code(exc) in ("ParameterNotFound", "ParameterVersionNotFound",
                                   "ValidationException"):
                raise LookupError(name) from exc
            raise ReconcilerError(f"Parameter Store parameter {name!r} cannot be read: "
                                  f"{error_code(exc)}: {exc}") from exc
        except ReconcilerError:
            raise
        except Exception as exc:  # no credentials, no network: say what needed AWS
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise ReconcilerError(f"parameter values named {name!r} are read from Parameter "
                                  f"Store, which cannot be reached: {detail} (give AWS "
                                  "credentials, or --local)") from exc
        if found.get("Type") == "SecureString":
            raise ValueError("a SecureString cannot be a parameter's value (CloudFormation "
                             "refuses it too); use {{resolve:ssm-secure:NAME}} in the property")
        with self._lock:
            self._seen[name] = str(found["Value"])
        return str(found["Value"])
