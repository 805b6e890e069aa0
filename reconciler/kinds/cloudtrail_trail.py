"""AWS::CloudTrail::Trail: the audit trail (ADR-008), its logging switch and event selectors.

A no-drift observe costs GetTrail, GetTrailStatus (IsLogging, which CloudFormation requires),
ListTags, plus GetEventSelectors when EventSelectors or AdvancedEventSelectors is declared.
``IsLogging`` is the trail's switch, not a setting: someone stopping the trail out of band
(StopLogging) is drift like any other and is corrected with StartLogging.
"""

from __future__ import annotations

from typing import Any

import jmespath

from reconciler.aws.kms_keys import kms_key_as_declared
from reconciler.kinds import mapper
from reconciler.kinds.base import Observation, Props, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind, TagCalls
from reconciler.kinds.listing import Listing

_UPDATE = "update_trail"
# AWS takes the CloudWatch Logs group and the role that writes into it only as a pair.
_LOGS_PAIR = ("CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn")
_RENAMES = {"/TrailName": "Name"}
_SELECTORS = Call("PutEventSelectors", id_member="TrailName")


class Trail(DeclaredKind):
    type_name = "AWS::CloudTrail::Trail"
    listing = Listing("cloudtrail", "DescribeTrails", "trailList[].Name",
                      {"includeShadowTrails": False})
    managed_properties = frozenset({
        "TrailName", "IsMultiRegionTrail", "IncludeGlobalServiceEvents",
        "EnableLogFileValidation", "IsLogging", "KMSKeyId", "S3BucketName", "S3KeyPrefix",
        "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn", "SnsTopicName",
        "EventSelectors", "AdvancedEventSelectors", "Tags",
    })
    identifier_paths = frozenset({"/KMSKeyId"})

    service, identifier = "cloudtrail", "Name"
    read_call = Call("GetTrail", result="Trail", renames={
        **_RENAMES, "/EnableLogFileValidation": "LogFileValidationEnabled"})
    create_call = Call("CreateTrail", renames=_RENAMES)
    delete_call = Call("DeleteTrail")
    readers = {
        "IsLogging": Call("GetTrailStatus", result="IsLogging"),
        "EventSelectors": Call("GetEventSelectors", id_member="TrailName",
                               result="EventSelectors"),
        "AdvancedEventSelectors": Call("GetEventSelectors", id_member="TrailName",
                                       result="AdvancedEventSelectors"),
    }
    writers = {
        **dict.fromkeys(("IsMultiRegionTrail", "IncludeGlobalServiceEvents",
                         "EnableLogFileValidation", "KMSKeyId", "S3BucketName", "S3KeyPrefix",
                         "SnsTopicName", *_LOGS_PAIR), _UPDATE),
        "IsLogging": Call("StartLogging", off="StopLogging"),
        "EventSelectors": _SELECTORS,
        "AdvancedEventSelectors": _SELECTORS,
    }
    gone_codes = ("TrailNotFoundException",)
    tag_calls = TagCalls("AddTags", "RemoveTags", "ListTags", resource="TrailARN",
                         param="ResourceId")
    attribute_paths = {"Arn": "TrailARN", "SnsTopicArn": "SnsTopicARN"}

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        if "KMSKeyId" in desired:
            props["KMSKeyId"] = kms_key_as_declared(self.aws, props.get("KMSKeyId"),
                                                    desired["KMSKeyId"])
        return props

    def read_tags(self, physical_id: str, resource: dict[str, Any]) -> dict[str, str]:
        """ListTags takes a list of ARNs and answers per trail (the tag calls take one)."""
        response = self.client.list_tags(ResourceIdList=[resource["TrailARN"]])
        return mapper.tags_from_api(jmespath.search("ResourceTagList[0].TagsList", response))

    def update_trail(self, physical_id: str, values: Props,
                     observed: Observation | None) -> None:
        """One UpdateTrail with the changed settings (the rest stay as they are)."""
        args = dict(values)
        if any(k in args for k in _LOGS_PAIR) and observed is not None:
            for key in _LOGS_PAIR:
                args.setdefault(key, observed.properties.get(key))
        self.invoke(Call("UpdateTrail", renames=_RENAMES), physical_id, args)

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        """What AWS refuses at CreateTrail/UpdateTrail and moto accepts."""
        problems: list[tuple[str, str]] = []
        if props.get("IsMultiRegionTrail") is True \
                and props.get("IncludeGlobalServiceEvents") is False:
            problems.append(("/IncludeGlobalServiceEvents",
                             "a multi-region trail must include global service events"))
        if "EventSelectors" in props and "AdvancedEventSelectors" in props:
            problems.append(("/AdvancedEventSelectors",
                             "declare EventSelectors or AdvancedEventSelectors, not both"))
        given = [k for k in _LOGS_PAIR if props.get(k) is not None]
        if len(given) == 1 and not is_intrinsic(props.get(given[0])):
            missing = next(k for k in _LOGS_PAIR if k not in given)
            problems.append((f"/{given[0]}", f"needs {missing} as well"))
        return problems
