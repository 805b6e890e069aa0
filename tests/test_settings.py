"""One settings value from the command line and RECONCILER_<FLAG>: defaults, precedence, errors."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from reconciler.errors import ReconcilerError
from reconciler.settings import COMMANDS, FLAGS, Flag, Settings, build_parser, parse, parse_duration
from reconciler.settings_values import history_keep
from reconciler.state.base import HistoryLimit

COMMON = ("--state", "--owner", "--parameter", "--local")


def setting(settings: Settings, path: str) -> Any:
    value: Any = settings
    for name in path.split("."):
        value = getattr(value, name)
    return value


@pytest.mark.parametrize(("argv", "path", "expected"), [
    (["plan"], "path", "desired"),
    (["plan"], "state", "./state"),
    (["plan"], "owner", "reconciler"),
    (["plan"], "output", "text"),
    (["plan"], "reconcile.mode", "enforce"),
    (["plan"], "reconcile.concurrency", 8),
    (["plan"], "reconcile.guards.max_deletes", 10),
    (["plan"], "reconcile.guards.max_delete_percent", 25.0),
    (["apply"], "reconcile.guards.allow_mass_delete", False),
    (["render"], "output", "yaml"),
    (["status"], "output", "text"),
    (["run"], "path", "desired"),
    (["run"], "worker.interval", 300.0),
    (["run"], "worker.source.interval", 60.0),
    (["run"], "worker.source.fetch_timeout", 60.0),
    (["run"], "worker.source.branch", "main"),
    (["run"], "worker.source.repo", None),
    (["run"], "worker.listen", "127.0.0.1:9108"),
    (["run"], "worker.shutdown_timeout", 60.0),
    (["run", "--interval", "30s", "--source-interval", "250ms"], "worker.interval", 30.0),
    (["run", "--source-interval", "2m"], "worker.source.interval", 120.0),
])
def test_defaults_and_flags(argv: list[str], path: str, expected: Any) -> None:
    assert setting(parse(argv, environ={}), path) == expected


def test_engine_settings_come_from_the_same_value() -> None:
    settings = parse(["apply", "--owner", "team", "--mode", "detect", "--max-delete-percent", "5",
                      "--allow-empty", "--concurrency", "2"], environ={})
    engine = settings.engine("abc")
    assert (engine.owner, engine.default_mode, engine.revision, engine.max_deletes,
            engine.max_delete_fraction, engine.allow_empty, engine.allow_mass_delete,
            engine.concurrency) == ("team", "detect", "abc", 10, 0.05, True, False, 2)


def sample(flag: Flag, command: str) -> tuple[str, Any]:
    """A value for the flag's variable and what it must become."""
    choices = flag.choices_for(command)
    if flag.kind == "switch":
        return "true", True
    if flag.kind == "repeat":
        return "A=1\nB=x=y\n", {"A": "1", "B": "x=y"}
    if flag.kind == "list":
        if flag.name == "--type":
            return "AWS::S3::Bucket\n AWS::IAM::Role\n", ("AWS::S3::Bucket", "AWS::IAM::Role")
        return "http://a/1, http://b/2 http://c/3", ("http://a/1", "http://b/2", "http://c/3")
    if choices:
        return choices[-1], choices[-1]
    if flag.parse is parse_duration:
        return "2m", 120.0
    if flag.parse is str:
        return "from-env", "from-env"
    if flag.parse is history_keep:
        return "3,7d", HistoryLimit(3, 7.0)
    return "3", 3


@pytest.mark.parametrize("flag", FLAGS, ids=lambda f: f.name)
def test_every_flag_reads_its_variable(flag: Flag) -> None:
    for command in flag.commands:
        text, expected = sample(flag, command)
        settings = parse([command], environ={flag.env: text})
        assert setting(settings, flag.setting) == expected, (command, flag.env)


def test_a_list_flag_repeats_and_the_command_line_replaces_the_variable() -> None:
    environ = {"RECONCILER_NOTIFY": "http://env/1,http://env/2"}
    assert parse(["run"], environ).worker.notify == ("http://env/1", "http://env/2")
    given = parse(["run", "--notify", "http://a/1", "--notify", "http://b/2"], environ)
    assert given.worker.notify == ("http://a/1", "http://b/2")
    assert parse(["run"], {"RECONCILER_NOTIFY": " , "}).worker.notify == ()


def test_the_command_line_wins_over_the_variable() -> None:
    environ = {"RECONCILER_MAX_DELETES": "3", "RECONCILER_PARAMETER": "Env=dev\nTier=1",
               "RECONCILER_LOCAL": "yes"}
    settings = parse(["plan", "--max-deletes", "4", "--parameter", "Env=prod"], environ)
    assert settings.reconcile.guards.max_deletes == 4
    assert dict(settings.parameters) == {"Env": "prod", "Tier": "1"}
    assert settings.local is True
    assert parse(["plan"], {"RECONCILER_LOCAL": "0"}).local is False


@pytest.mark.parametrize(("environ", "message"), [
    ({"RECONCILER_MAX_DELETES": "many"}, "RECONCILER_MAX_DELETES: 'many' is not an integer"),
    ({"RECONCILER_CONCURRENCY": "0"}, "RECONCILER_CONCURRENCY: 0 is below the minimum of 1"),
    ({"RECONCILER_MAX_DELETE_PERCENT": "250"}, "250 is not a percentage"),
    ({"RECONCILER_MODE": "observe"}, "RECONCILER_MODE='observe': plan takes one of enforce"),
    ({"RECONCILER_LOCAL": "maybe"}, "RECONCILER_LOCAL: 'maybe': use true or false"),
    ({"RECONCILER_PARAMETER": "novalue"}, "RECONCILER_PARAMETER: 'novalue': expected KEY=VALUE"),
])
def test_a_bad_variable_is_an_error_naming_it(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ReconcilerError, match=message.replace("(", r"\(")):
        parse(["plan"], environ)


def test_render_output_variable_must_suit_render() -> None:
    assert parse(["render"], {"RECONCILER_OUTPUT": "json"}).output == "json"
    with pytest.raises(ReconcilerError, match="render takes one of yaml, json"):
        parse(["render"], {"RECONCILER_OUTPUT": "text"})


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_the_common_options(command: str) -> None:
    settings = parse([command, "--state", "s", "--owner", "o", "--parameter", "K=V", "--local"],
                     environ={})
    assert (settings.state, settings.owner, dict(settings.parameters), settings.local) == (
        "s", "o", {"K": "V"}, True)


def test_no_flag_is_declared_twice_for_a_command() -> None:
    for command in COMMANDS:
        names = [flag.name for flag in FLAGS if command in flag.commands]
        assert len(names) == len(set(names)), command
        settings_fields = [flag.setting for flag in FLAGS if command in flag.commands]
        assert len(settings_fields) == len(set(settings_fields)), command
    for flag in FLAGS:
        assert set(flag.commands) <= set(COMMANDS), flag.name


def test_a_usage_error_exits_1_not_2() -> None:
    # plan's exit 2 means "changes pending"; a typo must not look like that.
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["plan", "--max-deletes", "lots"])
    assert exited.value.code == 1
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["validate", "--mode", "detect"])
    assert exited.value.code == 1


def test_settings_are_frozen() -> None:
    settings = parse(["plan", "--parameter", "A=1"], environ={})
    with pytest.raises(AttributeError):
        settings.owner = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.parameters["A"] = "2"  # type: ignore[index]


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30.0), ("5m", 300.0), ("1h", 3600.0),
                                               ("250ms", 0.25), ("90", 90.0)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5 minutes", "0s", "-1"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration(text)
