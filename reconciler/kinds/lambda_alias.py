"""AWS::Lambda::Alias: a name for a function version, with routing and provisioned concurrency.

A no-drift observe costs one GetAlias, plus GetProvisionedConcurrencyConfig when
ProvisionedConcurrencyConfig is declared. The physical ID is ``<function>:<alias name>``
as declared (the alias ARN when the function is given by ARN), known before the create
so a lost CreateAlias reply is found again by it; ``Ref`` is the alias ARN. An alias
moved to another version out of band is drift, moved back by UpdateAlias.

Provisioned concurrency (ADR-006) is allocated by AWS over minutes: while its Status is
IN_PROGRESS the alias is Pending (its dependents wait); FAILED, for the value still
declared, is an error with AWS's StatusReason. ``ProvisionedConcurrentExecutions: 0``
means none (DeleteProvisionedConcurrencyConfig). moto has no provisioned concurrency
(HTTP 404): those calls are tested with Stubber (tests/test_kind_lambda_alias.py).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code
from reconciler.errors import ReconcilerError
from reconciler.kinds.base import Observation, Props, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.listing import Listing, list_ids

_CONCURRENCY = "ProvisionedConcurrencyConfig"
_EXECUTIONS = "ProvisionedConcurrentExecutions"
_NONE_CONFIGURED = "ProvisionedConcurrencyConfigNotFoundException"


class ProvisionedConcurrencyFailed(ReconcilerError):
    """AWS could not allocate the declared provisioned concurrency (Status FAILED)."""


def split(physical_id: str) -> tuple[str, str]:
    """(function name or ARN, alias name) from ``<function>:<name>`` or an alias ARN."""
    function, _, name = physical_id.rpartition(":")
    return function, name


def routing_from_api(routing: Any) -> dict[str, Any] | None:
    """The API's ``{version: weight}`` map as CloudFormation's list of VersionWeight."""
    if not isinstance(routing, dict):
        return None
    weights = routing.get("AdditionalVersionWeights") or {}
    return {"AdditionalVersionWeights": [
        {"FunctionVersion": str(v), "FunctionWeight": w} for v, w in sorted(weights.items())]}


def routing_to_api(routing: Any) -> dict[str, Any]:
    weights = (routing or {}).get("AdditionalVersionWeights") or []
    return {"AdditionalVersionWeights": {
        str(w["FunctionVersion"]): float(w["FunctionWeight"]) for w in weights}}


class LambdaAlias(DeclaredKind):
    type_name = "AWS::Lambda::Alias"
    managed_properties = frozenset({
        "FunctionName", "FunctionVersion", "Name", "Description", "RoutingConfig", _CONCURRENCY,
    })
    attributes_ref_is_id = False  # Ref is the alias ARN, the physical ID may be a name

    service, identifier = "lambda", "FunctionName"
    read_call = Call("GetAlias")
    readers = {_CONCURRENCY: "read_concurrency"}
    property_paths = {"FunctionName": "AliasArn"}  # the function part, in properties_from
    create_call = Call("CreateAlias")
    writers = {"FunctionVersion": "update_alias", "Description": "update_alias",
               "RoutingConfig": "update_alias", _CONCURRENCY: "put_concurrency"}
    delete_call = Call("DeleteAlias")
    ref_attribute = "AliasArn"
    # The version or function is still being made or updated.
    transient_codes = {"ResourceConflictException": ()}

    def physical_id(self, props: Props) -> str | None:
        function, name = props.get("FunctionName"), props.get("Name")
        ok = isinstance(function, str) and isinstance(name, str)
        return f"{function}:{name}" if ok else None

    # --- read -------------------------------------------------------------------------------

    def read(self, physical_id: str) -> dict[str, Any] | None:
        function, name = split(physical_id)
        return dict(self.client.get_alias(FunctionName=function, Name=name))

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        observed = super().observe(physical_id, desired)
        if observed is None:
            return None
        allocation = observed.properties.get(_CONCURRENCY)
        if isinstance(allocation, dict):
            status, reason = allocation.pop("Status", None), allocation.pop("StatusReason", None)
            wanted = (desired.get(_CONCURRENCY) or {}).get(_EXECUTIONS)
            if status == "FAILED" and allocation.get(_EXECUTIONS) == wanted:
                raise ProvisionedConcurrencyFailed(
                    f"provisioned concurrency of {physical_id} failed: "
                    f"{reason or 'no reason given'}")
            if status == "IN_PROGRESS":
                observed.pending = "provisioned concurrency IN_PROGRESS"
        return observed

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        declared = desired.get("FunctionName")
        arn_function = split(str(resource["AliasArn"]))[0]
        # The function as declared (name or ARN) when it is the alias's function.
        same = isinstance(declared, str) and declared.split(":")[-1] == arn_function.split(
            ":")[-1]
        props["FunctionName"] = declared if same else arn_function
        props["Name"] = resource.get("Name")
        if "RoutingConfig" in desired:
            props["RoutingConfig"] = routing_from_api(resource.get("RoutingConfig"))
        return props

    def read_concurrency(self, physical_id: str, want: Any) -> dict[str, Any]:
        """The requested provisioned concurrency (0: none) and its allocation status."""
        function, name = split(physical_id)
        try:
            answer = self.client.get_provisioned_concurrency_config(FunctionName=function,
                                                                    Qualifier=name)
        except ClientError as exc:
            if error_code(exc) == _NONE_CONFIGURED:
                return {_EXECUTIONS: 0}
            raise
        return {_EXECUTIONS: answer.get("RequestedProvisionedConcurrentExecutions"),
                "Status": answer.get("Status"), "StatusReason": answer.get("StatusReason")}

    # --- write ------------------------------------------------------------------------------

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        api = {**desired}
        if "RoutingConfig" in api:
            api["RoutingConfig"] = routing_to_api(api["RoutingConfig"])
        return super().create(api, tags, token)

    def update_alias(self, physical_id: str, values: Props, observed: Observation | None,
                     ) -> None:
        function, name = split(physical_id)
        args: dict[str, Any] = {}
        if "FunctionVersion" in values:
            args["FunctionVersion"] = values["FunctionVersion"]
        if "Description" in values:
            args["Description"] = values["Description"] or ""
        if "RoutingConfig" in values:
            args["RoutingConfig"] = routing_to_api(values["RoutingConfig"])
        with self.transients("UpdateAlias"):
            self.client.update_alias(FunctionName=function, Name=name, **args)

    def put_concurrency(self, physical_id: str, values: Props, observed: Observation | None,
                        ) -> None:
        function, name = split(physical_id)
        wanted = int((values.get(_CONCURRENCY) or {}).get(_EXECUTIONS) or 0)
        with self.transients("PutProvisionedConcurrencyConfig"):
            if wanted > 0:
                self.client.put_provisioned_concurrency_config(
                    FunctionName=function, Qualifier=name, ProvisionedConcurrentExecutions=wanted)
                return
            try:
                self.client.delete_provisioned_concurrency_config(FunctionName=function,
                                                                  Qualifier=name)
            except ClientError as exc:
                if error_code(exc) not in (_NONE_CONFIGURED, "ResourceNotFoundException"):
                    raise

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> Observation | None:
        """The alias, then its provisioned concurrency; answers the alias as it is afterwards
        (Pending while AWS allocates provisioned concurrency)."""
        self.write_all(physical_id, desired, observed, changed)
        return self.observe(physical_id, desired) if _CONCURRENCY in desired else None

    def delete(self, physical_id: str, desired: Props) -> None:
        function, name = split(physical_id)
        with self.gone_is_done():  # its provisioned concurrency goes with it
            self.client.delete_alias(FunctionName=function, Name=name)

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        config = props.get(_CONCURRENCY)
        executions = config.get(_EXECUTIONS) if isinstance(config, dict) else None
        if isinstance(executions, int) and executions < 0:
            problems.append((f"/{_CONCURRENCY}/{_EXECUTIONS}", "must be 0 (none) or more"))
        if isinstance(executions, int) and executions > 0 and props.get(
                "FunctionVersion") == "$LATEST":
            problems.append((f"/{_CONCURRENCY}",
                             "provisioned concurrency needs a published version, not $LATEST"))
        routing = props.get("RoutingConfig")
        weights = routing.get("AdditionalVersionWeights") if isinstance(routing, dict) else None
        if isinstance(weights, list):
            if len(weights) > 1:
                problems.append(("/RoutingConfig/AdditionalVersionWeights",
                                 "at most one additional version"))
            for i, weight in enumerate(weights):
                value = weight.get("FunctionWeight") if isinstance(weight, dict) else None
                if isinstance(value, int | float) and not is_intrinsic(value) \
                        and not 0 <= value <= 1:
                    problems.append((f"/RoutingConfig/AdditionalVersionWeights/{i}"
                                     "/FunctionWeight", "must be between 0 and 1"))
        return problems

    def list_physical_ids(self) -> list[str]:
        """Aliases of every function: one ListAliases per function."""
        functions = list_ids(self.aws, Listing("lambda", "ListFunctions",
                                               "Functions[].FunctionName"))
        paginator = self.client.get_paginator("list_aliases")
        return [f"{function}:{alias['Name']}" for function in functions
                for page in paginator.paginate(FunctionName=function)
                for alias in page.get("Aliases", ())]
