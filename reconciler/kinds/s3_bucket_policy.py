"""AWS::S3::BucketPolicy: the one resource policy of a bucket. Not taggable; the bucket name
is the ID. A no-drift observe costs one GetBucketPolicy."""

from __future__ import annotations

from reconciler.kinds.base import Props
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.listing import Listing, list_ids
from reconciler.kinds.policy_checks import policy_issues

_PUT = Call("PutBucketPolicy", renames={"/PolicyDocument": "Policy"})


class S3BucketPolicy(DeclaredKind):
    type_name = "AWS::S3::BucketPolicy"
    managed_properties = frozenset({"Bucket", "PolicyDocument"})
    policy_paths = frozenset({"/PolicyDocument"})

    service, identifier = "s3", "Bucket"
    read_call = Call("GetBucketPolicy", result="{PolicyDocument: Policy}")
    create_call = _PUT
    writers = {"PolicyDocument": _PUT}
    delete_call = Call("DeleteBucketPolicy")
    gone_codes = ("NoSuchBucketPolicy", "NoSuchBucket")
    # S3 refuses a principal naming a role created moments ago until IAM has propagated it.
    transient_codes = {"MalformedPolicy": ("Invalid principal",)}

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        # moto stores any string as a policy; AWS answers MalformedPolicy. Catch it here.
        return policy_issues(props.get("PolicyDocument"), "/PolicyDocument", "resource")

    def list_physical_ids(self) -> list[str]:
        """Buckets that have a policy: ListBuckets, then one GetBucketPolicy per bucket."""
        buckets = list_ids(self.aws, Listing("s3", "ListBuckets", "Buckets[].Name"))
        return [name for name in buckets if self.read_or_none(name)]
