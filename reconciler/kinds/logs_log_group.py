"""AWS::Logs::LogGroup: a CloudWatch Logs group with its retention and KMS key.

A no-drift observe costs DescribeLogGroups and ListTagsForResource.
"""

from __future__ import annotations

from reconciler.kinds.declared import Call, DeclaredKind, TagCalls
from reconciler.kinds.listing import Listing


class LogGroup(DeclaredKind):
    type_name = "AWS::Logs::LogGroup"
    listing = Listing("logs", "DescribeLogGroups", "logGroups[].logGroupName")
    managed_properties = frozenset({"LogGroupName", "KmsKeyId", "RetentionInDays", "Tags"})
    identifier_paths = frozenset({"/KmsKeyId"})

    service, identifier = "logs", "LogGroupName"
    read_call = Call("DescribeLogGroups", id_member="logGroupNamePrefix",
                     result="logGroups[?logGroupName=='{id}'] | [0]")
    create_call = Call("CreateLogGroup")
    delete_call = Call("DeleteLogGroup")
    writers = {
        "RetentionInDays": Call("PutRetentionPolicy", off="DeleteRetentionPolicy"),
        "KmsKeyId": Call("AssociateKmsKey", off="DisassociateKmsKey"),
    }
    # The read answer's "arn" ends in ":*"; the tagging API takes the group's own ARN.
    tag_calls = TagCalls("TagResource", "UntagResource", "ListTagsForResource",
                         result="tags", resource="logGroupArn", param="resourceArn")
