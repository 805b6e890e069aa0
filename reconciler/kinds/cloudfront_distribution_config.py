"""CloudFormation's DistributionConfig <-> CloudFront's, for AWS::CloudFront::Distribution.

The mapper does most of it (``{Quantity, Items}`` wrappers, names in any case); what is
CloudFront's own is here: CachedMethods nested in AllowedMethods, GeoRestriction's
Locations as Items, Logging's and the trusted signers' Enabled flags, the members the API
requires where CloudFormation has defaults, and the two renames. Reading back keeps only
what the template declares, since GetDistributionConfig answers about 50 defaults.
An update sends the whole config: the declared one merged over what CloudFront has, so
that what is not declared keeps its value.
"""

from __future__ import annotations

import copy
from typing import Any

from botocore.model import Shape

from reconciler.kinds import mapper

RENAMES: mapper.Renames = {"/Origins/*/OriginCustomHeaders": "CustomHeaders",
                           "/IPV6Enabled": "IsIPV6Enabled"}
_API_NAMES = {"CustomHeaders": "OriginCustomHeaders", "IsIPV6Enabled": "IPV6Enabled"}
# Items of these lists are matched by these keys when merging and reading back.
_ITEM_KEYS = ("Id", "PathPattern", "ErrorCode", "EventType", "HeaderName")
# Lists CloudFront keeps as sets: its order is no drift.
_SETS = frozenset({"AllowedMethods", "CachedMethods", "Aliases"})


def behaviors(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The default cache behavior and the ordered ones (CloudFormation's shape)."""
    found = [config.get("DefaultCacheBehavior")] + list(config.get("CacheBehaviors") or [])
    return [b for b in found if isinstance(b, dict)]


# --- to the API ----------------------------------------------------------------------------

def to_api(config: dict[str, Any], shape: Shape) -> dict[str, Any]:
    """The declared config in the API's shape (``with_required`` adds what the API demands
    and CloudFormation defaults, once merged over the current config)."""
    cfn = copy.deepcopy(config)
    for behavior in behaviors(cfn):
        _behavior_to_api(behavior)
    logging = cfn.get("Logging")
    if isinstance(logging, dict):
        cfn["Logging"] = {"Enabled": True, "IncludeCookies": False, "Prefix": "", **logging}
    geo = (cfn.get("Restrictions") or {}).get("GeoRestriction")
    if isinstance(geo, dict):
        locations = list(geo.pop("Locations", None) or [])
        geo.update({"Quantity": len(locations), "Items": locations})
    return dict(mapper.to_api(cfn, shape, RENAMES))


def with_required(config: dict[str, Any]) -> dict[str, Any]:
    """Members the API requires where CloudFormation has defaults, on a whole API config
    (after a merge, so only what neither the template nor CloudFront has)."""
    out = copy.deepcopy(config)
    out.setdefault("Comment", "")
    for origin in (out.get("Origins") or {}).get("Items") or []:
        custom = origin.get("CustomOriginConfig")
        if isinstance(custom, dict):
            custom.setdefault("HTTPPort", 80)
            custom.setdefault("HTTPSPort", 443)
        s3 = origin.get("S3OriginConfig")
        if isinstance(s3, dict):
            s3.setdefault("OriginAccessIdentity", "")
    for behavior in [out.get("DefaultCacheBehavior")] + list(
            (out.get("CacheBehaviors") or {}).get("Items") or []):
        forwarded = behavior.get("ForwardedValues") if isinstance(behavior, dict) else None
        if isinstance(forwarded, dict):
            forwarded.setdefault("Cookies", {"Forward": "none"})
    return out


def _behavior_to_api(behavior: dict[str, Any]) -> None:
    allowed, cached = behavior.pop("AllowedMethods", None), behavior.pop("CachedMethods", None)
    if allowed is not None:
        methods: dict[str, Any] = {"Quantity": len(allowed), "Items": list(allowed)}
        if cached is not None:
            methods["CachedMethods"] = {"Quantity": len(cached), "Items": list(cached)}
        behavior["AllowedMethods"] = methods
    for key in ("TrustedSigners", "TrustedKeyGroups"):
        if isinstance(behavior.get(key), list):
            items = behavior[key]
            behavior[key] = {"Enabled": bool(items), "Quantity": len(items), "Items": items}


def merged(current: Any, declared: Any) -> Any:
    """``declared`` (API shape) over ``current``: dicts merge key by key, list items merge
    with the current item of the same identity (origin Id, path pattern...) or index."""
    if isinstance(declared, dict) and isinstance(current, dict):
        out = dict(current)
        for key, value in declared.items():
            out[key] = merged(current.get(key), value)
        return out
    if isinstance(declared, list) and isinstance(current, list):
        return [merged(_counterpart(current, item, i), item) for i, item in enumerate(declared)]
    return declared


def _counterpart(items: list[Any], item: Any, index: int) -> Any:
    if isinstance(item, dict):
        for key in _ITEM_KEYS:
            if key in item:
                return next((c for c in items if isinstance(c, dict) and c.get(key) == item[key]),
                            None)
    return items[index] if index < len(items) else None


# --- from the API --------------------------------------------------------------------------

def from_api(config: dict[str, Any], desired: Any) -> Any:
    """CloudFront's config in CloudFormation's shape, only what ``desired`` declares."""
    return declared_only(_cfn(config), desired)


def _cfn(value: Any, key: str = "") -> Any:
    """CloudFront's shape to CloudFormation's, every key kept."""
    if isinstance(value, list):
        return [_cfn(v) for v in value]
    if not isinstance(value, dict):
        return value
    if key == "Logging":
        return {k: _cfn(v) for k, v in value.items() if k != "Enabled"} \
            if value.get("Enabled") else None
    if key == "GeoRestriction":
        return {"RestrictionType": value.get("RestrictionType"),
                "Locations": list(value.get("Items") or [])}
    if _wrapped(value):
        return [_cfn(v) for v in value.get("Items") or []]
    out: dict[str, Any] = {}
    for name, child in value.items():
        if name == "AllowedMethods" and isinstance(child, dict):
            out["AllowedMethods"] = list(child.get("Items") or [])
            cached = child.get("CachedMethods")
            if isinstance(cached, dict):
                out["CachedMethods"] = list(cached.get("Items") or [])
            continue
        out[_API_NAMES.get(name, name)] = _cfn(child, name)
    return out


def _wrapped(value: dict[str, Any]) -> bool:
    """``{Quantity, Items}`` (trusted signers add ``Enabled``): a list in CloudFormation."""
    return "Quantity" in value and set(value) <= {"Quantity", "Items", "Enabled"}


def declared_only(actual: Any, desired: Any, key: str = "") -> Any:
    """``actual`` cut down to the keys ``desired`` declares (names in any case); list items
    read like the declared item of the same identity; set-like lists in declared order."""
    if isinstance(desired, dict) and isinstance(actual, dict):
        lowered = {k.lower(): k for k in actual}
        return {k: declared_only(actual.get(lowered.get(k.lower(), k)), v, k)
                for k, v in desired.items()}
    if isinstance(desired, list) and isinstance(actual, list):
        if key in _SETS and sorted(map(str, actual)) == sorted(map(str, desired)):
            return list(desired)
        return [declared_only(item, _declared_like(desired, item, i)) for i, item in
                enumerate(actual)]
    return actual


def _declared_like(desired: list[Any], item: Any, index: int) -> Any:
    if isinstance(item, dict):
        for key in _ITEM_KEYS:
            if key in item:
                found = next((d for d in desired if isinstance(d, dict) and d.get(key) == item[
                    key]), None)
                if found is not None:
                    return found
    if index < len(desired):
        return desired[index]
    return desired[0] if desired else None
