"""AWS::S3::Bucket LifecycleConfiguration: CloudFormation's rule shape <-> the S3 API's.

CloudFormation flattens the API (``ExpirationInDays`` for ``Expiration.Days``, ``Prefix``
for ``Filter.Prefix``) and keeps legacy spellings (``Transition``,
``NoncurrentVersionExpirationInDays``, ``Glacier``) that S3 never returns. Reading back,
equivalent forms are written the way the desired rule wrote them, so only real
differences show as drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler.kinds.base import is_intrinsic

Rule = dict[str, Any]
Issue = tuple[str, str]

DEFAULT_MINIMUM_OBJECT_SIZE = "all_storage_classes_128K"
# Rule fields the schema allows but this reconciler does not map yet.
UNSUPPORTED_RULE_FIELDS = ("TagFilters", "ObjectSizeGreaterThan", "ObjectSizeLessThan")
_ACTIONS = ("ExpirationInDays", "ExpirationDate", "Transition", "Transitions",
            "NoncurrentVersionExpiration", "NoncurrentVersionExpirationInDays",
            "NoncurrentVersionTransition", "NoncurrentVersionTransitions",
            "AbortIncompleteMultipartUpload")
# S3 refuses transitions to infrequent-access classes before 30 days.
_MIN_DAYS_BY_CLASS = {"STANDARD_IA": 30, "ONEZONE_IA": 30}


# --- CloudFormation -> S3 API -------------------------------------------------------------

def to_aws(config: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for PutBucketLifecycleConfiguration (without Bucket)."""
    args: dict[str, Any] = {
        "LifecycleConfiguration": {"Rules": [_rule_to_aws(r) for r in config["Rules"]]},
    }
    if config.get("TransitionDefaultMinimumObjectSize"):
        args["TransitionDefaultMinimumObjectSize"] = config["TransitionDefaultMinimumObjectSize"]
    return args


def _rule_to_aws(rule: Rule) -> Rule:
    out: Rule = {"Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "Id" in rule:
        out["ID"] = rule["Id"]
    expiration: dict[str, Any] = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if "ExpirationDate" in rule:
        expiration["Date"] = _parse_date(rule["ExpirationDate"])
    if rule.get("ExpiredObjectDeleteMarker"):
        expiration["ExpiredObjectDeleteMarker"] = True
    if expiration:
        out["Expiration"] = expiration
    transitions = _plural(rule, "Transitions", "Transition")
    if transitions:
        out["Transitions"] = [_transition_to_aws(t) for t in transitions]
    noncurrent = rule.get("NoncurrentVersionExpiration")
    if noncurrent is not None:
        out["NoncurrentVersionExpiration"] = {
            k: int(v) for k, v in noncurrent.items()
            if k in ("NoncurrentDays", "NewerNoncurrentVersions")
        }
    elif "NoncurrentVersionExpirationInDays" in rule:
        out["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"]),
        }
    noncurrent_transitions = _plural(rule, "NoncurrentVersionTransitions",
                                     "NoncurrentVersionTransition")
    if noncurrent_transitions:
        out["NoncurrentVersionTransitions"] = [
            _noncurrent_transition_to_aws(t) for t in noncurrent_transitions
        ]
    if "AbortIncompleteMultipartUpload" in rule:
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
    return out


def _transition_to_aws(transition: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"StorageClass": str(transition["StorageClass"]).upper()}
    if "TransitionInDays" in transition:
        out["Days"] = int(transition["TransitionInDays"])
    if "TransitionDate" in transition:
        out["Date"] = _parse_date(transition["TransitionDate"])
    return out


def _noncurrent_transition_to_aws(transition: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "StorageClass": str(transition["StorageClass"]).upper(),
        "NoncurrentDays": int(transition["TransitionInDays"]),
    }
    if "NewerNoncurrentVersions" in transition:
        out["NewerNoncurrentVersions"] = int(transition["NewerNoncurrentVersions"])
    return out


# --- S3 API -> CloudFormation -------------------------------------------------------------

def from_aws(response: dict[str, Any], desired: dict[str, Any] | None) -> dict[str, Any]:
    """GetBucketLifecycleConfiguration's answer in CloudFormation's shape, spelled like
    ``desired`` where two spellings mean the same."""
    desired = desired if isinstance(desired, dict) else {}
    wanted = [r for r in desired.get("Rules") or [] if isinstance(r, dict)]
    pairs = _pair_rules(response.get("Rules") or [], wanted)
    out: dict[str, Any] = {"Rules": [_rule_from_aws(rule, want) for rule, want in pairs]}
    size = response.get("TransitionDefaultMinimumObjectSize")
    if size and ("TransitionDefaultMinimumObjectSize" in desired
                 or size != DEFAULT_MINIMUM_OBJECT_SIZE):
        out["TransitionDefaultMinimumObjectSize"] = size
    return out


def _pair_rules(rules: list[Rule], wanted: list[Rule]) -> list[tuple[Rule, Rule | None]]:
    """Each AWS rule with the desired rule it corresponds to (by Id, else by position among
    rules without an Id), in the desired order: S3 applies all rules at once, so their order
    is no drift."""
    by_id = {w["Id"]: i for i, w in enumerate(wanted) if "Id" in w}
    anonymous = [i for i, w in enumerate(wanted) if "Id" not in w]
    placed: dict[int, Rule] = {}
    extra: list[Rule] = []
    for rule in rules:
        index = by_id.pop(rule.get("ID"), None)
        if index is None and anonymous:
            index = anonymous.pop(0)
        if index is None:
            extra.append(rule)
        else:
            placed[index] = rule
    ordered: list[tuple[Rule, Rule | None]] = [(placed[i], wanted[i]) for i in sorted(placed)]
    return ordered + [(rule, None) for rule in extra]


def _rule_from_aws(rule: Rule, want: Rule | None) -> Rule:
    want = want or {}
    out: Rule = {}
    # S3 invents an ID for a rule declared without one; that is not drift.
    if rule.get("ID") and ("Id" in want or not want):
        out["Id"] = rule["ID"]
    out["Status"] = rule.get("Status")
    out.update(_filter_from_aws(rule, want))
    expiration = rule.get("Expiration") or {}
    if "Days" in expiration:
        out["ExpirationInDays"] = expiration["Days"]
    if "Date" in expiration:
        out["ExpirationDate"] = _format_date(expiration["Date"], want.get("ExpirationDate"))
    if expiration.get("ExpiredObjectDeleteMarker") or "ExpiredObjectDeleteMarker" in want:
        out["ExpiredObjectDeleteMarker"] = bool(expiration.get("ExpiredObjectDeleteMarker"))
    transitions = rule.get("Transitions") or []
    if transitions:
        wanted = _plural(want, "Transitions", "Transition")
        items = [_transition_from_aws(t, _at(wanted, i)) for i, t in enumerate(transitions)]
        out.update(_singular_or_plural(items, want, "Transitions", "Transition"))
    noncurrent = rule.get("NoncurrentVersionExpiration")
    if noncurrent:
        out.update(_noncurrent_expiration_from_aws(noncurrent, want))
    noncurrent_transitions = rule.get("NoncurrentVersionTransitions") or []
    if noncurrent_transitions:
        wanted = _plural(want, "NoncurrentVersionTransitions", "NoncurrentVersionTransition")
        items = [_noncurrent_transition_from_aws(t, _at(wanted, i))
                 for i, t in enumerate(noncurrent_transitions)]
        out.update(_singular_or_plural(items, want, "NoncurrentVersionTransitions",
                                       "NoncurrentVersionTransition"))
    abort = rule.get("AbortIncompleteMultipartUpload")
    if abort:
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": abort.get("DaysAfterInitiation"),
        }
    return out


def _filter_from_aws(rule: Rule, want: Rule) -> Rule:
    """Prefix, plus any filter added out of band (so it shows as drift)."""
    rule_filter = rule.get("Filter") or {}
    conjunction = rule_filter.get("And") or {}
    prefix = rule_filter.get("Prefix", conjunction.get("Prefix", rule.get("Prefix", ""))) or ""
    out: Rule = {}
    if prefix or "Prefix" in want:
        out["Prefix"] = prefix
    tags = ([rule_filter["Tag"]] if "Tag" in rule_filter else []) + list(
        conjunction.get("Tags") or [])
    if tags:
        out["TagFilters"] = [{"Key": t.get("Key"), "Value": t.get("Value")} for t in tags]
    for key in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
        value = rule_filter.get(key, conjunction.get(key))
        if value is not None:
            out[key] = str(value)
    return out


def _noncurrent_expiration_from_aws(noncurrent: dict[str, Any], want: Rule) -> Rule:
    days = noncurrent.get("NoncurrentDays")
    newer = noncurrent.get("NewerNoncurrentVersions")
    if ("NoncurrentVersionExpirationInDays" in want
            and "NoncurrentVersionExpiration" not in want and newer is None):
        return {"NoncurrentVersionExpirationInDays": days}
    value: dict[str, Any] = {"NoncurrentDays": days}
    if newer is not None:
        value["NewerNoncurrentVersions"] = newer
    return {"NoncurrentVersionExpiration": value}


def _transition_from_aws(transition: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"StorageClass": _storage_class(transition.get("StorageClass"), want)}
    if "Days" in transition:
        out["TransitionInDays"] = transition["Days"]
    if "Date" in transition:
        out["TransitionDate"] = _format_date(transition["Date"], want.get("TransitionDate"))
    return out


def _noncurrent_transition_from_aws(transition: dict[str, Any],
                                    want: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "StorageClass": _storage_class(transition.get("StorageClass"), want),
        "TransitionInDays": transition.get("NoncurrentDays"),
    }
    if transition.get("NewerNoncurrentVersions") is not None:
        out["NewerNoncurrentVersions"] = transition["NewerNoncurrentVersions"]
    return out


def _storage_class(value: Any, want: dict[str, Any]) -> Any:
    # CloudFormation still accepts "Glacier"; S3 answers "GLACIER".
    wanted = want.get("StorageClass")
    if isinstance(wanted, str) and isinstance(value, str) and wanted.upper() == value:
        return wanted
    return value


def _singular_or_plural(items: list[Any], want: Rule, plural: str, singular: str) -> Rule:
    if singular in want and plural not in want and len(items) == 1:
        return {singular: items[0]}
    return {plural: items}


# --- validation ---------------------------------------------------------------------------

def issues(config: Any, path: str) -> list[Issue]:
    """What S3 (or this reconciler) would refuse in a LifecycleConfiguration."""
    if not isinstance(config, dict) or is_intrinsic(config):
        return []
    rules = config.get("Rules")
    if is_intrinsic(rules):
        return []
    if not isinstance(rules, list) or not rules:
        return [(f"{path}/Rules", "a lifecycle configuration needs at least one rule")]
    if len(rules) > 1000:
        return [(f"{path}/Rules", "S3 allows at most 1000 lifecycle rules")]
    found: list[Issue] = []
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        where = f"{path}/Rules/{index}"
        if not isinstance(rule, dict) or is_intrinsic(rule):
            continue
        rule_id = rule.get("Id")
        if isinstance(rule_id, str):
            if rule_id in seen:
                found.append((f"{where}/Id", f"lifecycle rule Id {rule_id!r} is not unique"))
            seen.add(rule_id)
        found.extend(_rule_issues(rule, where))
    return found


def _rule_issues(rule: Rule, where: str) -> list[Issue]:
    found: list[Issue] = [
        (f"{where}/{field}", f"lifecycle rule field {field} is not supported by the "
         "reconciler yet; filter rules by Prefix only")
        for field in UNSUPPORTED_RULE_FIELDS if field in rule
    ]
    if not any(k in rule for k in _ACTIONS) and not rule.get("ExpiredObjectDeleteMarker"):
        found.append((where, "lifecycle rule has no action (expiration, transition, "
                      "noncurrent version or multipart upload)"))
    expirations = [k for k in ("ExpirationInDays", "ExpirationDate") if k in rule]
    if rule.get("ExpiredObjectDeleteMarker"):
        expirations.append("ExpiredObjectDeleteMarker")
    if len(expirations) > 1:
        found.append((where, f"lifecycle rule may set only one of {', '.join(expirations)}"))
    for plural, singular in (("Transitions", "Transition"),
                             ("NoncurrentVersionTransitions", "NoncurrentVersionTransition"),
                             ("NoncurrentVersionExpiration",
                              "NoncurrentVersionExpirationInDays")):
        if plural in rule and singular in rule:
            found.append((where, f"lifecycle rule may set {plural} or {singular}, not both"))
    if _positive(rule.get("ExpirationInDays")) is False:
        found.append((f"{where}/ExpirationInDays", "ExpirationInDays must be at least 1"))
    if "ExpirationDate" in rule and not _is_midnight_utc(rule["ExpirationDate"]):
        found.append((f"{where}/ExpirationDate",
                      "ExpirationDate must be an ISO 8601 date at midnight UTC"))
    for name in ("Transitions", "Transition"):
        for i, item in enumerate(_listed(rule.get(name))):
            at = f"{where}/{name}" + (f"/{i}" if name == "Transitions" else "")
            found.extend(_transition_issues(item, at, noncurrent=False))
    for name in ("NoncurrentVersionTransitions", "NoncurrentVersionTransition"):
        for i, item in enumerate(_listed(rule.get(name))):
            at = f"{where}/{name}" + (f"/{i}" if name.endswith("s") else "")
            found.extend(_transition_issues(item, at, noncurrent=True))
    return found


def _transition_issues(item: Any, at: str, noncurrent: bool) -> list[Issue]:
    if not isinstance(item, dict) or is_intrinsic(item):
        return []
    found: list[Issue] = []
    when = [k for k in ("TransitionInDays", "TransitionDate") if k in item]
    if not noncurrent and len(when) != 1:
        found.append((at, "a transition needs exactly one of TransitionInDays, TransitionDate"))
    if "TransitionDate" in item and not _is_midnight_utc(item["TransitionDate"]):
        found.append((f"{at}/TransitionDate",
                      "TransitionDate must be an ISO 8601 date at midnight UTC"))
    storage = item.get("StorageClass")
    minimum = _MIN_DAYS_BY_CLASS.get(str(storage).upper()) if isinstance(storage, str) else None
    days = item.get("TransitionInDays")
    if minimum and isinstance(days, int | str) and str(days).isdigit() and int(days) < minimum:
        found.append((f"{at}/TransitionInDays",
                      f"S3 moves objects to {storage} after {minimum} days at the earliest"))
    return found


# --- small helpers ------------------------------------------------------------------------

def _plural(rule: Rule, plural: str, singular: str) -> list[Any]:
    if isinstance(rule.get(plural), list):
        return list(rule[plural])
    if isinstance(rule.get(singular), dict):
        return [rule[singular]]
    return []


def _listed(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def _at(items: list[Any], index: int) -> dict[str, Any]:
    item = items[index] if index < len(items) else None
    return item if isinstance(item, dict) else {}


def _positive(value: Any) -> bool | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value) >= 1
    except ValueError:
        return None


def _parse_date(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _is_midnight_utc(value: Any) -> bool:
    if is_intrinsic(value):
        return True
    try:
        moment = _parse_date(value)
    except ValueError:
        return False
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def _format_date(value: Any, wanted: Any) -> str:
    """S3's timestamp as CloudFormation's iso8601UTC; the desired spelling when it is the
    same instant (``...00:00Z`` and ``...00:00.000Z`` are one date)."""
    moment = _parse_date(value)
    if wanted is not None:
        try:
            if _parse_date(wanted) == moment:
                return str(wanted)
        except ValueError:
            pass
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
