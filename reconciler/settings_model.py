"""The settings values a command runs with (frozen dataclasses; their defaults are the
flags' defaults). Built by ``reconciler.settings`` from the command line and environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from reconciler.state.base import HistoryLimit

if TYPE_CHECKING:
    from reconciler.engine.context import EngineSettings


@dataclass(frozen=True)
class StackImportSettings:
    """``reconciler import``: which stack, where the tree goes, whether to release it."""

    stack: str | None = None
    out: str | None = None  # default ./desired-<stack>
    release: bool = False
    yes: bool = False


@dataclass(frozen=True)
class TypeImportSettings:
    """``reconciler import --type`` (and ``unmanaged --type``): which types, which of them."""

    types: tuple[str, ...] = ()
    name_prefix: str = ""
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class GuardSettings:
    """The deletion guard: what one revision may delete without being allowed explicitly."""

    max_deletes: int = 10
    max_delete_percent: float = 25.0
    allow_mass_delete: bool = False
    allow_empty: bool = False


@dataclass(frozen=True)
class ReconcileSettings:
    mode: str = "enforce"  # for resources without Metadata.Reconciler.Mode
    concurrency: int = 8  # concurrent AWS reads
    guards: GuardSettings = field(default_factory=GuardSettings)
    pending_interval: float = 15.0  # how soon pending resources are looked at again
    wait_timeout: float = 1800.0  # apply: longest wait for pending resources (0: none)
    history: HistoryLimit = field(default_factory=HistoryLimit)  # runs kept in the store
    lease_duration: float = 30.0  # with dynamodb:// state: how long a holder's lease lasts


@dataclass(frozen=True)
class SourceSettings:
    """Where the worker's desired tree comes from (the folder inside it is Settings.path)."""

    repo: str | None = None
    branch: str = "main"
    interval: float = 60.0  # git poll
    fetch_timeout: float = 60.0
    git_token_file: str | None = None
    ssh_key_file: str | None = None
    verify_commits: bool = False
    allowed_signers: str | None = None  # git's SSH allowed-signers file
    gpg_home: str | None = None  # a GnuPG home holding the trusted public keys


@dataclass(frozen=True)
class WorkerSettings:
    interval: float = 300.0  # full drift check
    listen: str = "127.0.0.1:9108"
    webhook_secret_file: str | None = None
    shutdown_timeout: float = 60.0
    notify: tuple[str, ...] = ()  # notification endpoints (secrets: never logged in full)
    events_queue: str | None = None  # SQS queue URL fed with CloudTrail events (EventBridge)
    work_dir: str = "./state"  # with dynamodb:// state: the git clone, the local-AWS record
    source: SourceSettings = field(default_factory=SourceSettings)


@dataclass(frozen=True)
class Settings:
    command: str = "validate"
    path: str = "desired"  # the tree; for the worker, the folder inside the repository
    state: str = "./state"
    owner: str = "reconciler"
    stack_name: str | None = None  # AWS::StackName; None: the owner
    parameters: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    local: bool = False
    output: str = "text"
    stats: bool = False
    base: str | None = None  # plan --base: only what differs from this git revision
    reconcile: ReconcileSettings = field(default_factory=ReconcileSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    stack_import: StackImportSettings = field(default_factory=StackImportSettings)
    type_import: TypeImportSettings = field(default_factory=TypeImportSettings)

    @property
    def stack(self) -> str:
        """What AWS::StackName means without a stack: --stack-name, else the owner."""
        return self.stack_name or self.owner

    def engine(self, revision: str | None) -> EngineSettings:
        """What the engine needs of these settings for one run at ``revision``."""
        from reconciler.engine.context import EngineSettings

        guards = self.reconcile.guards
        return EngineSettings(
            owner=self.owner, default_mode=self.reconcile.mode, revision=revision,
            max_deletes=guards.max_deletes, max_delete_fraction=guards.max_delete_percent / 100,
            allow_mass_delete=guards.allow_mass_delete, allow_empty=guards.allow_empty,
            concurrency=self.reconcile.concurrency, history=self.reconcile.history)


# --- the flags -----------------------------------------------------------------------------
