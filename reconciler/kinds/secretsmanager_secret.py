"""AWS::SecretsManager::Secret: a secret whose value is generated at create, never declared.

The value never passes through git, plans, logs or state: ``SecretString`` is not
managed, and the value made from ``GenerateSecretString`` lives only inside one
function frame. Errors raised from that frame are rebuilt without the value and
without their traceback (structured loggers print frame locals).

A secret scheduled for deletion observes as absent: it cannot be read and AWS
deletes it when the window ends. The engine then plans a create, and ``create``
restores the secret if its ownership tags say it is ours, keeping its value.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code, is_not_found
from reconciler.aws.normalize import (
    LOGICAL_ID_TAG,
    OWNER_TAG,
    RESERVED_TAG_PREFIXES,
    dict_to_tags,
    same_identifier,
    tags_to_dict,
)
from reconciler.errors import ReconcilerError
from reconciler.kinds.base import Kind, Observation, Props

# CloudFormation's recovery window: a deleted secret can be restored for 30 days.
RECOVERY_WINDOW_DAYS = 30
DEFAULT_KMS_KEY = "alias/aws/secretsmanager"
_PASSWORD_OPTIONS = ("PasswordLength", "ExcludeCharacters", "ExcludeNumbers",
                     "ExcludePunctuation", "ExcludeUppercase", "ExcludeLowercase",
                     "IncludeSpace", "RequireEachIncludedType")
_BOOLEAN_OPTIONS = frozenset(_PASSWORD_OPTIONS[2:])
# AWS answers a create over a secret pending deletion with one, moto with the other.
_NAME_TAKEN = frozenset({"ResourceExistsException", "InvalidRequestException"})
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_KEY_PATTERN = re.compile(
    r"^(arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+"
    r"|(mrk-)?[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/.+)$",
    re.IGNORECASE)
_MASK = "(sensitive value)"


class Secret(Kind):
    type_name = "AWS::SecretsManager::Secret"
    managed_properties = frozenset({
        "Name", "Description", "KmsKeyId", "GenerateSecretString", "Tags",
    })
    identifier_paths = frozenset({"/KmsKeyId"})
    data_bearing = True
    # Ref is the ARN, which AWS assigns: unknown until the secret exists.
    attributes_ref_is_id = False

    @property
    def _sm(self) -> Any:
        return self.aws.client("secretsmanager")

    # --- identity ---------------------------------------------------------------------------

    def physical_id(self, props: Props) -> str | None:
        # DescribeSecret takes the name; Ref (the ARN) comes from the attributes.
        name = props.get("Name")
        return name if isinstance(name, str) else None

    def generated_name(self, logical_id: str, owner: str) -> Props:
        # Twelve characters, not six: "-" plus six characters reads like an ARN suffix.
        suffix = "".join(secrets.choice(string.ascii_letters + string.digits)
                         for _ in range(12))
        prefix = re.sub(r"[^A-Za-z0-9/_+=.@-]", "", f"{owner}-{logical_id}")[:480]
        return {"Name": f"{prefix}-{suffix}"}

    # --- read -------------------------------------------------------------------------------

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        meta = self._describe(physical_id)
        if meta is None or meta.get("DeletedDate"):
            return None
        description = meta.get("Description")
        if description is None and desired.get("Description") == "":
            description = ""  # an empty description is not stored
        props: Props = {
            "Name": meta["Name"],
            "Description": description,
            "KmsKeyId": self._key_as_declared(meta.get("KmsKeyId"), desired.get("KmsKeyId")),
        }
        return Observation(physical_id=meta["Name"], properties=props,
                           tags=tags_to_dict(meta.get("Tags")),
                           attributes={"Ref": meta["ARN"], "Id": meta["ARN"]})

    def _describe(self, secret_id: str) -> dict[str, Any] | None:
        try:
            return dict(self._sm.describe_secret(SecretId=secret_id))
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise

    def _key_as_declared(self, actual: str | None, wanted: Any) -> str | None:
        """The observed key in the declared spelling when both name the same key: an alias,
        an ID and an ARN are all valid ways to write it."""
        if not isinstance(wanted, str):
            return actual
        if actual is None:
            return wanted if wanted in (DEFAULT_KMS_KEY, f"{DEFAULT_KMS_KEY}/") else None
        if same_identifier(actual, wanted):
            return actual
        key = self._key_id(actual)
        return wanted if key is not None and key == self._key_id(wanted) else actual

    def _key_id(self, reference: str) -> str | None:
        try:
            return str(self.aws.client("kms").describe_key(KeyId=reference)["KeyMetadata"]
                       ["KeyId"])
        except ClientError:
            return None  # a key we cannot see: compare as written

    # --- write ------------------------------------------------------------------------------

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        name = desired.get("Name")
        if not name:
            raise ValueError("AWS::SecretsManager::Secret create needs Name (see generated_name)")
        args: dict[str, Any] = {"Name": name, "Tags": dict_to_tags(tags)}
        if desired.get("Description") is not None:
            args["Description"] = desired["Description"]
        if desired.get("KmsKeyId"):
            args["KmsKeyId"] = desired["KmsKeyId"]
        created, failure = self._create_with_value(args, desired.get("GenerateSecretString"))
        if failure is not None:
            if error_code(failure) in _NAME_TAKEN:
                restored = self._restore_if_ours(name, desired, tags)
                if restored is not None:
                    return restored
            raise failure
        assert created is not None
        return Observation(physical_id=created["Name"], properties={}, tags=dict(tags),
                           attributes={"Ref": created["ARN"], "Id": created["ARN"]})

    def _create_with_value(self, args: dict[str, Any], spec: Any
                           ) -> tuple[dict[str, Any] | None, Exception | None]:
        """CreateSecret with a generated value. Returns the error instead of raising it, so
        that the caller raises a scrubbed copy from a frame that never held the value."""
        hidden: list[str] = []
        try:
            if spec is not None:
                value = self._generate(spec, hidden)
                return dict(self._sm.create_secret(**args, SecretString=value)), None
            return dict(self._sm.create_secret(**args)), None
        except Exception as exc:  # any error may quote its parameters: scrub every kind
            return None, _scrubbed(exc, hidden)

    def _generate(self, spec: dict[str, Any], hidden: list[str]) -> str:
        """The secret string; the password and the string are added to ``hidden``."""
        options: dict[str, Any] = {}
        for option in _PASSWORD_OPTIONS:
            if spec.get(option) is not None:
                value = spec[option]
                options[option] = (_as_bool(value) if option in _BOOLEAN_OPTIONS
                                   else int(value) if option == "PasswordLength" else str(value))
        password = str(self._sm.get_random_password(**options)["RandomPassword"])
        hidden.append(password)
        template = spec.get("SecretStringTemplate")
        if template is None:
            return password
        document = json.loads(template)
        document[spec["GenerateStringKey"]] = password
        hidden.append(json.dumps(document))
        return hidden[-1]

    def _restore_if_ours(self, name: str, desired: Props,
                         tags: dict[str, str]) -> Observation | None:
        meta = self._describe(name)
        if meta is None or not meta.get("DeletedDate"):
            return None  # a live secret of that name: the engine reports the conflict
        found = tags_to_dict(meta.get("Tags"))
        if (found.get(OWNER_TAG), found.get(LOGICAL_ID_TAG)) != (
                tags.get(OWNER_TAG), tags.get(LOGICAL_ID_TAG)):
            raise ReconcilerError(
                f"secret {name} is scheduled for deletion and is not owned by "
                f"{tags.get(OWNER_TAG)} as {tags.get(LOGICAL_ID_TAG)}: restore it by hand and "
                "adopt it, or choose another Name")
        self._sm.restore_secret(SecretId=name)
        settings = {prop: desired[prop] for prop in ("Description", "KmsKeyId")
                    if desired.get(prop) is not None}
        if settings:
            self._sm.update_secret(SecretId=name, **settings)
        stale = [k for k in found if k not in tags and not k.startswith(RESERVED_TAG_PREFIXES)]
        self.set_tags(name, tags, stale)
        return Observation(physical_id=meta["Name"], properties={}, tags=dict(tags),
                           attributes={"Ref": meta["ARN"], "Id": meta["ARN"]})

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        settings: dict[str, Any] = {}
        if "Description" in changed:
            settings["Description"] = desired.get("Description") or ""
        if "KmsKeyId" in changed:
            settings["KmsKeyId"] = desired.get("KmsKeyId") or DEFAULT_KMS_KEY
        if settings:
            self._sm.update_secret(SecretId=physical_id, **settings)

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        if remove:
            self._sm.untag_resource(SecretId=physical_id, TagKeys=remove)
        if add:
            self._sm.tag_resource(SecretId=physical_id, Tags=dict_to_tags(add))

    def delete(self, physical_id: str, desired: Props) -> None:
        # Never ForceDeleteWithoutRecovery: the value stays restorable for the window.
        try:
            self._sm.delete_secret(SecretId=physical_id,
                                   RecoveryWindowInDays=RECOVERY_WINDOW_DAYS)
        except ClientError as exc:
            if is_not_found(exc):
                return
            meta = self._describe(physical_id) if error_code(exc) == "InvalidRequestException" \
                else None
            if meta is None or not meta.get("DeletedDate"):
                raise

    # --- validation -------------------------------------------------------------------------

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        name = props.get("Name")
        if isinstance(name, str) and not _NAME_PATTERN.match(name):
            problems.append(("/Name", "must be 1-512 characters of letters, digits and /_+=.@-"))
        description = props.get("Description")
        if isinstance(description, str) and len(description) > 2048:
            problems.append(("/Description", "must be at most 2048 characters"))
        key = props.get("KmsKeyId")
        if isinstance(key, str) and not _KEY_PATTERN.match(key):
            problems.append(("/KmsKeyId", "must be a KMS key ID, key ARN, alias name or alias ARN"))
        spec = props.get("GenerateSecretString")
        if isinstance(spec, dict):
            problems += _generator_problems(spec)
        return problems


def _generator_problems(spec: dict[str, Any]) -> list[tuple[str, str]]:
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
    if isinstance(length, int | str) and not isinstance(length, bool):
        try:
            valid = 1 <= int(length) <= 4096
        except ValueError:
            valid = False
        if not valid:
            problems.append((f"{base}/PasswordLength", "must be between 1 and 4096"))
    classes = ("ExcludeLowercase", "ExcludeUppercase", "ExcludeNumbers", "ExcludePunctuation")
    if all(_as_bool(spec.get(c)) for c in classes) and not _as_bool(spec.get("IncludeSpace")):
        problems.append((base, "excludes every character type: nothing left to generate from"))
    return problems


def _as_bool(value: Any) -> bool:
    return value.lower() == "true" if isinstance(value, str) else bool(value)


def _scrubbed(exc: Exception, hidden: list[str]) -> Exception:
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
