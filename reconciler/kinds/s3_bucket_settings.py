"""AWS::S3::Bucket settings whose CloudFormation shape is not the API's: the canned ACL,
server access logging, the website and event notifications.

Pure functions, no calls: ``*_from_aws`` turns a Get* answer into CloudFormation's
shape, written the way the desired value writes equivalent forms; ``*_to_aws`` builds
the Put* argument.

The canned ACL: S3 stores a canned ACL as the grants it stands for and GetBucketAcl
answers grants, so the declared name is compared by its grants. On a bucket,
``Private``, ``BucketOwnerRead`` and ``BucketOwnerFullControl`` are the same grants
(the owner's FULL_CONTROL; the ``BucketOwner*`` ACLs differ only for objects), so they
are equal here too; ``AwsExecRead`` is matched as one other account's READ (EC2's
canonical ID is not documented).
"""

from __future__ import annotations

from typing import Any

Props = dict[str, Any]
Issue = tuple[str, str]

_GROUPS = "http://acs.amazonaws.com/groups/"
_OWNER = "owner"
_ANOTHER_ACCOUNT = "another account"
# Canned ACL -> its grants beyond the owner's FULL_CONTROL, as (grantee, permission).
CANNED_GRANTS: dict[str, frozenset[tuple[str, str]]] = {
    "Private": frozenset(),
    "PublicRead": frozenset({("AllUsers", "READ")}),
    "PublicReadWrite": frozenset({("AllUsers", "READ"), ("AllUsers", "WRITE")}),
    "AuthenticatedRead": frozenset({("AuthenticatedUsers", "READ")}),
    "LogDeliveryWrite": frozenset({("LogDelivery", "WRITE"), ("LogDelivery", "READ_ACP")}),
    "BucketOwnerRead": frozenset(),
    "BucketOwnerFullControl": frozenset(),
    "AwsExecRead": frozenset({(_ANOTHER_ACCOUNT, "READ")}),
}
# CloudFormation's names -> the API's canned ACL names.
CANNED_API = {
    "Private": "private", "PublicRead": "public-read", "PublicReadWrite": "public-read-write",
    "AuthenticatedRead": "authenticated-read", "LogDeliveryWrite": "log-delivery-write",
    "BucketOwnerRead": "bucket-owner-read", "BucketOwnerFullControl": "bucket-owner-full-control",
    "AwsExecRead": "aws-exec-read",
}
# Canned ACLs granting only the owner: allowed while ObjectOwnership disables ACLs.
OWNER_ONLY = frozenset(name for name, grants in CANNED_GRANTS.items() if not grants)


# --- AccessControl ------------------------------------------------------------------------

def acl_from_aws(response: Props, want: Any) -> str:
    """The declared canned ACL when the grants are the ones it stands for; otherwise the
    canned ACL they do stand for, or a description of the grants."""
    owner = (response.get("Owner") or {}).get("ID")
    grants = {_grant(g, owner) for g in response.get("Grants") or ()}
    owner_full = (_OWNER, "FULL_CONTROL") in grants
    extra = frozenset(g for g in grants if g != (_OWNER, "FULL_CONTROL"))
    candidates = [want] if isinstance(want, str) else []
    candidates += list(CANNED_GRANTS)
    for name in candidates:
        if owner_full and CANNED_GRANTS.get(name) == extra:
            return str(name)
    shown = ", ".join(f"{who} {permission}" for who, permission in sorted(extra))
    return "grants: " + (shown or "none") + ("" if owner_full else " (owner lacks FULL_CONTROL)")


def _grant(grant: Props, owner: Any) -> tuple[str, str]:
    grantee = grant.get("Grantee") or {}
    permission = str(grant.get("Permission"))
    if grantee.get("Type") == "Group":
        return str(grantee.get("URI", "")).removeprefix(_GROUPS).split("/")[-1], permission
    if grantee.get("Type") == "CanonicalUser":
        return (_OWNER if grantee.get("ID") == owner else _ANOTHER_ACCOUNT), permission
    return f"{grantee.get('Type')} {grantee.get('EmailAddress') or grantee.get('ID')}", permission


def acl_issues(props: Props) -> list[Issue]:
    """With ACLs disabled (BucketOwnerEnforced, also AWS's default for new buckets), S3
    refuses any ACL granting more than the owner's access."""
    acl = props.get("AccessControl")
    if not isinstance(acl, str) or acl in OWNER_ONLY:
        return []
    rules = (_dict(props.get("OwnershipControls")).get("Rules") or [{}])
    ownership = _dict(rules[0] if isinstance(rules, list) and rules else {}).get(
        "ObjectOwnership", "BucketOwnerEnforced")
    if ownership != "BucketOwnerEnforced":
        return []  # ACLs enabled, or known only at apply
    return [("/AccessControl", f"{acl} needs ACLs enabled: declare OwnershipControls with "
                               "ObjectOwnership ObjectWriter or BucketOwnerPreferred (S3 "
                               "disables ACLs by default, BucketOwnerEnforced)")]


# --- LoggingConfiguration -----------------------------------------------------------------

def logging_from_aws(response: Props, want: Any, bucket: str) -> Props | None:
    """Declared keys as read; undeclared ones only where they differ from CloudFormation's
    defaults (logs into the bucket itself, no prefix), so that they show as drift."""
    enabled = response.get("LoggingEnabled")
    if not enabled:
        return None
    declared = _dict(want)
    read = {"DestinationBucketName": enabled.get("TargetBucket"),
            "LogFilePrefix": enabled.get("TargetPrefix", ""),
            "TargetObjectKeyFormat": enabled.get("TargetObjectKeyFormat")}
    defaults = {"DestinationBucketName": bucket, "LogFilePrefix": "",
                "TargetObjectKeyFormat": None}
    out = {k: v for k, v in read.items() if k in declared or v != defaults[k]}
    key_format, wanted_format = out.get("TargetObjectKeyFormat"), declared.get(
        "TargetObjectKeyFormat")
    if isinstance(key_format, dict) and isinstance(wanted_format, dict):
        out["TargetObjectKeyFormat"] = {k: v for k, v in key_format.items()
                                        if k in wanted_format or v}
    return out


def logging_to_aws(config: Props | None, bucket: str) -> Props:
    """PutBucketLogging's BucketLoggingStatus; {} turns logging off."""
    if config is None:
        return {}
    enabled: Props = {"TargetBucket": config.get("DestinationBucketName") or bucket,
                      "TargetPrefix": config.get("LogFilePrefix", "")}
    if config.get("TargetObjectKeyFormat") is not None:
        enabled["TargetObjectKeyFormat"] = config["TargetObjectKeyFormat"]
    return {"LoggingEnabled": enabled}


# --- WebsiteConfiguration -----------------------------------------------------------------

_REDIRECT = ("HostName", "HttpRedirectCode", "Protocol", "ReplaceKeyPrefixWith",
             "ReplaceKeyWith")
_CONDITION = ("HttpErrorCodeReturnedEquals", "KeyPrefixEquals")


def website_from_aws(response: Props) -> Props:
    out: Props = {}
    if response.get("IndexDocument"):
        out["IndexDocument"] = response["IndexDocument"].get("Suffix")
    if response.get("ErrorDocument"):
        out["ErrorDocument"] = response["ErrorDocument"].get("Key")
    if response.get("RedirectAllRequestsTo"):
        out["RedirectAllRequestsTo"] = dict(response["RedirectAllRequestsTo"])
    rules = []
    for rule in response.get("RoutingRules") or ():
        shaped: Props = {"RedirectRule": _pick(rule.get("Redirect"), _REDIRECT)}
        if rule.get("Condition"):
            shaped["RoutingRuleCondition"] = _pick(rule["Condition"], _CONDITION)
        rules.append(shaped)
    if rules:
        out["RoutingRules"] = rules
    return out


def website_to_aws(config: Props) -> Props:
    out: Props = {}
    if "IndexDocument" in config:
        out["IndexDocument"] = {"Suffix": config["IndexDocument"]}
    if "ErrorDocument" in config:
        out["ErrorDocument"] = {"Key": config["ErrorDocument"]}
    if "RedirectAllRequestsTo" in config:
        out["RedirectAllRequestsTo"] = dict(config["RedirectAllRequestsTo"])
    if config.get("RoutingRules"):
        out["RoutingRules"] = [
            {"Redirect": dict(r.get("RedirectRule") or {}),
             **({"Condition": dict(r["RoutingRuleCondition"])}
                if r.get("RoutingRuleCondition") else {})}
            for r in config["RoutingRules"]]
    return out


def website_issues(config: Any) -> list[Issue]:
    config = _dict(config)
    if "RedirectAllRequestsTo" in config and config.keys() & {
            "IndexDocument", "ErrorDocument", "RoutingRules"}:
        return [("/WebsiteConfiguration/RedirectAllRequestsTo",
                 "redirects every request: IndexDocument, ErrorDocument and RoutingRules "
                 "do not go with it")]
    if config and "RedirectAllRequestsTo" not in config and "IndexDocument" not in config:
        return [("/WebsiteConfiguration", "IndexDocument or RedirectAllRequestsTo is required")]
    return []


# --- NotificationConfiguration ------------------------------------------------------------

# CloudFormation list -> (API list, the API's target member, CloudFormation's target key).
NOTIFICATION_TARGETS = {
    "QueueConfigurations": ("QueueConfigurations", "QueueArn", "Queue"),
    "TopicConfigurations": ("TopicConfigurations", "TopicArn", "Topic"),
    "LambdaConfigurations": ("LambdaFunctionConfigurations", "LambdaFunctionArn", "Function"),
}


def notification_from_aws(response: Props, want: Any) -> Props:
    """One CloudFormation entry per event (CloudFormation names one event per entry, the
    API a list), in the declared order; filter rule names in the declared case."""
    declared = _dict(want)
    out: Props = {}
    for key, (api_key, member, target) in NOTIFICATION_TARGETS.items():
        wanted = declared.get(key) if isinstance(declared.get(key), list) else []
        entries = []
        for config in response.get(api_key) or ():
            for event in config.get("Events") or ():
                entry: Props = {"Event": event, target: config.get(member)}
                rules = ((config.get("Filter") or {}).get("Key") or {}).get("FilterRules")
                if rules:
                    entry["Filter"] = {"S3Key": {"Rules": [
                        {"Name": _declared_name(r.get("Name"), wanted), "Value": r.get("Value")}
                        for r in rules]}}
                entries.append(entry)
        if entries or key in declared:
            out[key] = _in_declared_order(entries, wanted, target)
    if "EventBridgeConfiguration" in response:
        out["EventBridgeConfiguration"] = {"EventBridgeEnabled": True}
    elif "EventBridgeConfiguration" in declared:
        out["EventBridgeConfiguration"] = {"EventBridgeEnabled": False}
    return out


def notification_to_aws(config: Props | None) -> Props:
    """PutBucketNotificationConfiguration's argument; {} removes every notification."""
    config = config or {}
    out: Props = {}
    for key, (api_key, member, target) in NOTIFICATION_TARGETS.items():
        items = []
        for entry in config.get(key) or ():
            item: Props = {member: entry[target], "Events": [entry["Event"]]}
            rules = _dict(_dict(entry.get("Filter")).get("S3Key")).get("Rules")
            if rules:
                # The API's names are lowercase; CloudFormation accepts either case.
                item["Filter"] = {"Key": {"FilterRules": [
                    {"Name": str(r["Name"]).lower(), "Value": r["Value"]} for r in rules]}}
            items.append(item)
        if items:
            out[api_key] = items
    if _dict(config.get("EventBridgeConfiguration")).get("EventBridgeEnabled"):
        out["EventBridgeConfiguration"] = {}
    return out


def notification_issues(config: Any) -> list[Issue]:
    found: list[Issue] = []
    for key in NOTIFICATION_TARGETS:
        entries = _dict(config).get(key)
        for i, entry in enumerate(entries if isinstance(entries, list) else ()):
            rules = _dict(_dict(_dict(entry).get("Filter")).get("S3Key")).get("Rules")
            for j, rule in enumerate(rules if isinstance(rules, list) else ()):
                name = _dict(rule).get("Name")
                if isinstance(name, str) and name.lower() not in ("prefix", "suffix"):
                    found.append((f"/NotificationConfiguration/{key}/{i}/Filter/S3Key/Rules/{j}"
                                  "/Name", "must be prefix or suffix"))
    return found


def _declared_name(name: Any, wanted: list[Any]) -> Any:
    for entry in wanted:
        for rule in _dict(_dict(_dict(entry).get("Filter")).get("S3Key")).get("Rules") or ():
            spelled = _dict(rule).get("Name")
            if isinstance(spelled, str) and isinstance(name, str) and \
                    spelled.lower() == name.lower():
                return spelled
    return name


def _in_declared_order(entries: list[Props], wanted: list[Any], target: str) -> list[Props]:
    keys = [(_dict(w).get("Event"), _dict(w).get(target)) for w in wanted]

    def rank(entry: Props) -> int:
        key = (entry["Event"], entry[target])
        return keys.index(key) if key in keys else len(keys)

    return sorted(entries, key=rank)


def _pick(value: Any, keys: tuple[str, ...]) -> Props:
    return {k: v for k, v in _dict(value).items() if k in keys}


def _dict(value: Any) -> Props:
    return value if isinstance(value, dict) else {}


# Regions whose website endpoint is "s3-website-<region>" rather than "s3-website.<region>".
_DASHED_WEBSITE_REGIONS = frozenset({
    "us-east-1", "us-west-1", "us-west-2", "ap-southeast-1", "ap-southeast-2",
    "ap-northeast-1", "eu-west-1", "sa-east-1", "us-gov-west-1",
})


def website_host(region: str) -> str:
    """The website endpoint's host part (``WebsiteURL``), as the region spells it."""
    return f"s3-website-{region}" if region in _DASHED_WEBSITE_REGIONS else f"s3-website.{region}"
