"""AWS::Lambda::Function: a function (a zip package or a container image), its configuration,
code and concurrency.

A no-drift observe costs one GetFunction (configuration, tags and reserved concurrency
in one answer). Zip code is judged by its SHA-256 against Lambda's CodeSha256 and never
downloaded (see ``lambda_code``); an image by its URI (GetFunction's ``Code.ImageUri``).
PackageType is create-only: from Zip to Image is a new function, as in CloudFormation.

AWS works on a function after most calls: a new function (in a VPC, for minutes) is
``State Pending`` and every configuration or code update leaves ``LastUpdateStatus
InProgress``. Both are Pending observations, so the engine attempts no other change and
holds the versions and aliases made from the function. AWS refuses an update while one
is in progress, so an update that changes both configuration and code makes the
configuration call, and leaves the code to the next pass while the first is in
progress; a refusal that still happens (ResourceConflictException) is transient. A
function whose State is Failed is an error with AWS's StateReasonCode and StateReason.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.kinds import lambda_code
from reconciler.kinds.base import Observation, Props, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind, TagCalls
from reconciler.kinds.listing import Listing

# UpdateFunctionConfiguration sets these in one call; code and architectures go through
# UpdateFunctionCode, reserved concurrency through its own calls.
_CONFIG = frozenset({
    "Role", "Handler", "Description", "Timeout", "MemorySize", "VpcConfig", "Environment",
    "Runtime", "DeadLetterConfig", "KmsKeyArn", "TracingConfig", "Layers", "EphemeralStorage",
    "LoggingConfig", "ImageConfig",
})
_CODE = frozenset({"Code", "Architectures"})
_CONFIGURE = Call("UpdateFunctionConfiguration")
_NAME_LIMIT = 64


class FunctionFailed(ReconcilerError):
    """AWS could not make the function ready (State Failed)."""


class LambdaFunction(DeclaredKind):
    type_name = "AWS::Lambda::Function"
    listing = Listing("lambda", "ListFunctions", "Functions[].FunctionName")
    managed_properties = frozenset({
        "FunctionName", "Runtime", "Handler", "Role", "Code", "MemorySize", "Timeout",
        "Environment", "VpcConfig", "KmsKeyArn", "Architectures",
        "ReservedConcurrentExecutions", "Layers", "TracingConfig", "DeadLetterConfig",
        "EphemeralStorage", "LoggingConfig", "Description", "PackageType", "ImageConfig",
        "Tags",
    })
    # A variable added out of band is configuration nobody declared.
    exact_paths = frozenset({"/Environment/Variables"})

    service, identifier = "lambda", "FunctionName"
    # read() adds GetFunction's Tags and Concurrency to the configuration it answers.
    read_call = Call("GetFunction", result="Configuration")
    property_paths = {
        "Code": "CodeSha256",  # compared by SHA-256 in properties_from
        "Layers": "Layers[].Arn",
        "ReservedConcurrentExecutions": "Concurrency.ReservedConcurrentExecutions",
        "ImageConfig": "ImageConfigResponse.ImageConfig",
    }
    create_call = Call("CreateFunction")
    writers = {**dict.fromkeys(_CONFIG, _CONFIGURE), "Code": "update_code",
               "Architectures": "update_code",
               "ReservedConcurrentExecutions": "put_concurrency"}
    delete_call = Call("DeleteFunction")
    tag_calls = TagCalls("TagResource", "UntagResource", result="Tags",
                         resource="FunctionArn", param="Resource")
    attribute_paths = {"Arn": "FunctionArn", "SnapStartResponse": "SnapStart"}
    transient_codes = {
        # An update is still in progress (AWS answers the next one with this).
        "ResourceConflictException": (),
        # IAM is eventually consistent: a role just made (or just granted the VPC or KMS
        # permissions the function needs) is not yet usable by Lambda.
        "InvalidParameterValueException": ("cannot be assumed", "does not have permissions"),
    }

    def generated_name(self, logical_id: str, owner: str) -> Props:
        """The schema states FunctionName's 64-character limit only in its pattern."""
        return {key: name if len(name) <= _NAME_LIMIT else
                name[:_NAME_LIMIT - 13] + name[-13:]  # the stem cut, "-SUFFIX" kept
                for key, name in super().generated_name(logical_id, owner).items()}

    # --- read -------------------------------------------------------------------------------

    def read(self, physical_id: str) -> dict[str, Any] | None:
        answer = self.client.get_function(FunctionName=physical_id)
        resource = dict(answer.get("Configuration") or {})
        if resource.get("State") == "Failed":
            raise FunctionFailed(
                f"Lambda function {physical_id} failed: "
                f"{resource.get('StateReasonCode') or 'unknown'}: "
                f"{resource.get('StateReason') or 'no reason given'}")
        resource["Tags"] = answer.get("Tags") or {}
        resource["ImageUri"] = (answer.get("Code") or {}).get("ImageUri")
        resource["Concurrency"] = answer.get("Concurrency") or {}
        return resource

    def pending_reason(self, resource: dict[str, Any]) -> str | None:
        if resource.get("State") == "Pending":
            return "State Pending"
        if resource.get("LastUpdateStatus") == "InProgress":
            return "LastUpdateStatus InProgress"
        return None

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        if lambda_code.is_image(desired.get("Code")):
            props["Code"] = lambda_code.image_as_observed(desired["Code"], resource["ImageUri"])
            return props
        props["Code"] = lambda_code.as_observed(
            desired.get("Code"), desired.get("Runtime", resource.get("Runtime")),
            resource.get("CodeSha256"), resource.get("Tags") or {})
        return props

    # --- create and update ------------------------------------------------------------------

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        code = desired.get("Code") or {}
        api = {**desired, "Code": lambda_code.for_api(code, desired.get("Runtime"))}
        observed = super().create(api, tags, token)
        if not lambda_code.is_inline(code) and not lambda_code.is_image(code):
            sha = self.client.get_function_configuration(
                FunctionName=observed.physical_id)["CodeSha256"]
            self._record_s3(observed, code, sha)
        return observed

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> Observation | None:
        """One UpdateFunctionConfiguration for the configuration, then UpdateFunctionCode
        unless the first left the function busy (the next pass makes it); then reserved
        concurrency. Answers the function as it is afterwards: Pending while AWS is at it."""
        config = {p: desired.get(p) for p in changed & _CONFIG}
        if config:
            self.invoke(_CONFIGURE, physical_id, config)
        if changed & _CODE:
            if config:
                busy = self.observe(physical_id, desired)
                if busy is not None and busy.pending:
                    busy.pending += "; the code follows once it is done"
                    return busy
            self.update_code(physical_id, desired, observed)
        if "ReservedConcurrentExecutions" in changed:
            self.put_concurrency(physical_id, desired, observed)
        return self.observe(physical_id, desired)

    def update_code(self, physical_id: str, values: Props, observed: Observation | None,
                    ) -> None:
        """UpdateFunctionCode with the declared code (and architectures)."""
        code = values.get("Code") or (observed.properties.get("Code") if observed else None)
        runtime = values.get("Runtime") or (observed.properties.get("Runtime")
                                            if observed else None)
        if not isinstance(code, dict):
            raise ReconcilerError(f"{physical_id}: no declared Code to deploy")
        args: dict[str, Any] = {k: v for k, v in lambda_code.for_api(code, runtime).items()
                                if k in ("ZipFile", "S3Bucket", "S3Key", "S3ObjectVersion",
                                         "ImageUri")}
        if values.get("Architectures"):
            args["Architectures"] = values["Architectures"]
        with self.transients("UpdateFunctionCode"):
            answer = self.client.update_function_code(FunctionName=physical_id, **args)
        if observed is not None and not lambda_code.is_inline(code) \
                and not lambda_code.is_image(code):
            self._record_s3(observed, code, str(answer["CodeSha256"]))

    def put_concurrency(self, physical_id: str, values: Props, observed: Observation | None,
                        ) -> None:
        reserved = values.get("ReservedConcurrentExecutions")
        if reserved is None:
            self.client.delete_function_concurrency(FunctionName=physical_id)
        else:  # 0 is a value (the function throttled), not "unset"
            self.client.put_function_concurrency(FunctionName=physical_id,
                                                 ReservedConcurrentExecutions=reserved)

    def _record_s3(self, observed: Observation, code: dict[str, Any], sha: str) -> None:
        """Record on the function which S3 location its code came from (lambda_code)."""
        arn = observed.attributes.get("Arn") or observed.physical_id
        self.client.tag_resource(Resource=arn,
                                 Tags={lambda_code.CODE_TAG: lambda_code.record(code, sha)})

    # --- checks AWS would make (moto does not) ----------------------------------------------

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        problems = _package_problems(props)
        vpc = props.get("VpcConfig")
        if isinstance(vpc, dict) and bool(vpc.get("SubnetIds")) != bool(
                vpc.get("SecurityGroupIds")):
            problems.append(("/VpcConfig", "SubnetIds and SecurityGroupIds go together"))
        return problems


# An image Lambda takes: from Amazon ECR, by tag or digest.
_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/"
                        r"[a-z0-9._/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$")


def _package_problems(props: Props) -> list[tuple[str, str]]:
    """What Lambda refuses about the package, and the local emulator accepts: an image needs
    Code.ImageUri (an ECR image) and takes no Runtime, Handler or Layers; a zip needs Runtime
    and Handler, and ZipFile or S3Bucket and S3Key."""
    package = props.get("PackageType", "Zip")
    if is_intrinsic(package):
        return []
    code = props.get("Code")
    known = isinstance(code, dict) and not is_intrinsic(code)  # else: checked once resolved
    if package == "Image":
        problems = [(f"/{p}", "is not taken by an image function (PackageType Image)")
                    for p in ("Runtime", "Handler", "Layers") if p in props]
        return problems + (_image_problems(code) if known else [])
    problems = [(f"/{p}", "is required for a zip function (PackageType Zip, the default)")
                for p in ("Runtime", "Handler") if p not in props]
    if "ImageConfig" in props:
        problems.append(("/ImageConfig", "needs PackageType: Image"))
    return problems + (_zip_problems(code, props.get("Runtime")) if known else [])


def _image_problems(code: dict[str, Any]) -> list[tuple[str, str]]:
    uri = code.get("ImageUri")
    if uri is None or set(code) - {"ImageUri"}:
        return [("/Code", "an image function's Code is ImageUri alone")]
    if isinstance(uri, str) and not is_intrinsic(uri) and not _ECR_IMAGE.match(uri):
        return [("/Code/ImageUri", "is not an Amazon ECR image "
                 "(ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG or @sha256:DIGEST)")]
    return []


def _zip_problems(code: dict[str, Any], runtime: Any) -> list[tuple[str, str]]:
    if "ImageUri" in code:
        return [("/Code/ImageUri", "needs PackageType: Image")]
    inline = "ZipFile" in code
    s3 = "S3Bucket" in code or "S3Key" in code
    if inline == s3:
        return [("/Code", "declare ZipFile, or S3Bucket and S3Key")]
    if s3 and not ("S3Bucket" in code and "S3Key" in code):
        return [("/Code", "S3 code needs both S3Bucket and S3Key")]
    if inline and runtime is not None and not is_intrinsic(runtime) \
            and lambda_code.inline_file(runtime) is None:
        return [("/Code/ZipFile", "inline code needs a python or nodejs Runtime")]
    return []
