"""The shipped Prometheus alert rules are valid and behave as their unit tests say (promtool)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from reconciler.daemon.metrics import Metrics

RULES_DIR = Path(__file__).resolve().parent.parent / "deploy" / "prometheus"
RULES = RULES_DIR / "reconciler-alerts.yaml"
RULE_TESTS = RULES_DIR / "reconciler-alerts.test.yaml"

EXPECTED_ALERTS = {
    "ReconcilerDriftPersists", "ReconcilerReconcileFailing", "ReconcilerSourceStale",
    "ReconcilerDesiredStateInvalid", "ReconcilerDeletionsBlocked", "ReconcilerDown",
    "ReconcilerAwsThrottled", "ReconcilerAwsUnreachable",
}


def promtool_path() -> str:
    """promtool's path; fails under CI when it is missing, else skips."""
    path = shutil.which("promtool")
    if path is None:
        message = ("promtool not found: install it with `apt-get install prometheus` (Debian/"
                   "Ubuntu) or from https://prometheus.io/download/, then rerun")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool_path(), *args], cwd=RULES_DIR, capture_output=True, text=True,
                          timeout=120, check=False)


def _rules() -> list[dict]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_promtool_check_rules_accepts_the_file() -> None:
    result = _run("check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(EXPECTED_ALERTS)} rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    result = _run("test", "rules", RULE_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_for_severity_and_annotations() -> None:
    rules = _rules()
    assert {rule["alert"] for rule in rules} == EXPECTED_ALERTS
    for rule in rules:
        assert "for" in rule, rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]
        assert "$labels." in rule["annotations"]["summary"], rule["alert"]


def test_every_alert_fires_and_stays_quiet_in_the_unit_tests() -> None:
    # promtool passes a file that never asserts an alert; make sure each one is exercised both ways.
    fired: set[str] = set()
    quiet: set[str] = set()
    for case in yaml.safe_load(RULE_TESTS.read_text())["tests"]:
        for check in case.get("alert_rule_test", []):
            (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    assert fired == EXPECTED_ALERTS
    assert quiet == EXPECTED_ALERTS


def test_rules_only_use_metrics_the_worker_exports() -> None:
    exported = {
        sample_name
        for family in Metrics().registry.collect()
        for sample_name in (family.name, f"{family.name}_total")
    }
    used = set(re.findall(r"\breconciler_[a-z_]+\b", RULES.read_text()))
    assert used, "no reconciler_ metric referenced"
    assert used <= exported, used - exported
