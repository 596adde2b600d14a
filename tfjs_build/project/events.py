"""What a build tells its front door: events while it runs, a result per model.

The build never prints. It hands events to a :class:`Reporter` that the front door supplies (the
CLI's text or ``--json``, doit's task output, the hooks); :mod:`tfjs_build.text_reporter` turns them
into the lines people read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from tfjs_build.parity.record import DivergenceRecord, ParitySummary

Outcome = Literal["converted", "restored", "up to date", "failed"]
CHANGED: tuple[Outcome, ...] = ("converted", "restored")


@dataclass(frozen=True)
class ModelResult:
    """What building one model did."""

    name: str
    outcome: Outcome
    reasons: tuple[str, ...] = ()
    cache_key: str | None = None
    format: str | None = None
    """``layers`` or ``graph`` for a converted or restored artifact."""
    total_bytes: int = 0
    shards: int = 0
    parity: ParitySummary | None = None
    seconds: float = 0.0
    added_to_cache: bool = False
    from_remote: bool = False
    """Restored from the remote cache (``cache_remote``) rather than the local one."""
    error: str | None = None
    """Why a failed build failed (one line)."""
    divergences: dict[str, DivergenceRecord] = field(default_factory=dict)
    """Where a build parity rejected first diverges, per failing backend."""
    quantization: str | None = None
    """What ``quantization = "auto"`` chose, in one line (restored: when it was built)."""

    @property
    def changed_files(self) -> bool:
        """The artifact and lockfile entry were (re)written."""
        return self.outcome in CHANGED


@dataclass(frozen=True)
class Started:
    """A stale model is about to be restored from the cache or converted."""

    name: str
    action: Literal["restore", "convert"]
    source: Path
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Finished:
    """A model's build ended (whatever its outcome)."""

    result: ModelResult


@dataclass(frozen=True)
class Warned:
    """Something went wrong that did not fail the build (the cache could not be filled, ...)."""

    name: str
    message: str


@dataclass(frozen=True)
class Explained:
    """Where a passing build's outputs first diverge on ``backend``, as asked for
    (``parity_explain = "always"``): ``words`` is the finding (every layer within tolerance, or
    a layer beyond it that the final outputs hid)."""

    name: str
    backend: str
    words: str


@dataclass(frozen=True)
class RemoteWarned:
    """The remote cache cannot be used as configured (unreachable, refusing access, its backend
    not installed): said once per run, and the build goes on without it."""

    url: str
    message: str


@dataclass(frozen=True)
class Pushed:
    """The run's new builds were uploaded to the remote cache."""

    url: str
    entries: int


BuildEvent = Started | Finished | Warned | Explained | RemoteWarned | Pushed


class Reporter(Protocol):
    """Receives a build's events, in order."""

    def report(self, event: BuildEvent) -> None:
        """Handle one event."""


class Silent:
    """A reporter that drops every event (for library use and tests)."""

    def report(self, event: BuildEvent) -> None:
        """Drop ``event``."""


class Collecting:
    """A reporter that keeps every event, in order."""

    def __init__(self) -> None:
        self.events: list[BuildEvent] = []

    def report(self, event: BuildEvent) -> None:
        """Keep ``event``."""
        self.events.append(event)
