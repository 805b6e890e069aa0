"""engine.written: write-only values compared by a salted print of what was last written."""

from __future__ import annotations

from reconciler.engine.model import MASK, DiffEntry
from reconciler.engine.written import changes, record
from reconciler.kinds.base import Kind


class FakeSecret(Kind):
    type_name = "AWS::SecretsManager::Secret"
    managed_properties = frozenset({"Name", "SecretString"})
    compare_written = frozenset({"SecretString"})


def test_a_create_records_prints_never_values() -> None:
    prints = record(FakeSecret, {"Name": "n", "SecretString": "s3cr3t"}, None, None)
    assert prints is not None and set(prints["paths"]) == {"/SecretString"}
    assert "s3cr3t" not in repr(prints) and len(prints["salt"]) == 32
    assert changes(FakeSecret, {"SecretString": "s3cr3t"}, prints) == []
    assert changes(FakeSecret, {"SecretString": "other"}, prints) == [
        DiffEntry("/SecretString", MASK, MASK)]


def test_prints_are_salted() -> None:
    one = record(FakeSecret, {"SecretString": "same"}, None, None)
    two = record(FakeSecret, {"SecretString": "same"}, None, None)
    assert one and two and one["paths"] != two["paths"]


def test_an_update_refreshes_only_what_it_wrote() -> None:
    first = record(FakeSecret, {"SecretString": "a"}, None, None)
    # Not written (IgnoreDrift, say): the old print stays, so the change is still pending.
    kept = record(FakeSecret, {"SecretString": "b"}, first, frozenset({"Name"}))
    assert kept == first
    assert changes(FakeSecret, {"SecretString": "b"}, kept) != []
    written = record(FakeSecret, {"SecretString": "b"}, first, frozenset({"SecretString"}))
    assert written is not None and written["salt"] == first["salt"]  # type: ignore[index]
    assert changes(FakeSecret, {"SecretString": "b"}, written) == []


def test_no_print_is_trusted_and_no_declaration_is_no_change() -> None:
    assert changes(FakeSecret, {"SecretString": "x"}, None) == []
    adopted = record(FakeSecret, {"SecretString": "x"}, None, frozenset())
    assert adopted is not None and changes(FakeSecret, {"SecretString": "x"}, adopted) == []
    assert changes(FakeSecret, {}, adopted) == []
    assert record(FakeSecret, {"Name": "n"}, adopted, frozenset()) is None


def test_kinds_without_write_only_comparisons_record_nothing() -> None:
    class Plain(Kind):
        type_name = "AWS::KMS::Alias"
        managed_properties = frozenset({"AliasName", "TargetKeyId"})

    assert record(Plain, {"AliasName": "alias/x"}, None, None) is None
    assert changes(Plain, {"AliasName": "alias/x"}, None) == []
