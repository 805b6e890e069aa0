"""The floor for bench/plan_noop.py: plain boto3 making only the reads needed to judge drift
on the benchmark's properties, sequentially, then printing the call count like `--stats`."""

from __future__ import annotations

import sys

import boto3


def main(n: int) -> None:
    third = n // 3
    ddb, s3, iam = boto3.client("dynamodb"), boto3.client("s3"), boto3.client("iam")
    sts = boto3.client("sts")
    calls = 1
    sts.get_caller_identity()
    for i in range(third):
        table = ddb.describe_table(TableName=f"bench-table-{i}")["Table"]
        ddb.list_tags_of_resource(ResourceArn=table["TableArn"])
        calls += 2
    for i in range(third):
        name = f"bench-bucket-{i}"
        s3.get_bucket_versioning(Bucket=name)
        s3.get_bucket_encryption(Bucket=name)
        s3.get_bucket_tagging(Bucket=name)
        calls += 3
    for i in range(n - 2 * third):
        name = f"bench-role-{i}"
        iam.get_role(RoleName=name)
        iam.list_role_policies(RoleName=name)
        iam.get_role_policy(RoleName=name, PolicyName="read")
        calls += 3
    print(f"stats: aws_calls={calls}", file=sys.stderr)


if __name__ == "__main__":
    main(int(sys.argv[1]))
