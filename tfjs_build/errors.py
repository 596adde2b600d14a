"""Every error a user can cause, each carrying the exit code the command line gives it.

One handler at the CLI edge (:func:`tfjs_build.cli.main`) prints a ``TfjsBuildError`` as one line
and exits with its ``exit_code``; anything else is a bug and gets a traceback and exit 3.
Messages say what went wrong, where, and what to do, in the syntax of where the user set it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tfjs_build.parity.report import ParityReport

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


def describe_os_error(exc: OSError) -> str:
    """``path: reason`` for an operating-system error (a full disk, a read-only file, ...)."""
    where = exc.filename if exc.filename is not None else "(no path)"
    extra = f" -> {exc.filename2}" if exc.filename2 is not None else ""
    return f"{where}{extra}: {exc.strerror or exc}"


class TfjsBuildError(Exception):
    """A failure the message explains: what went wrong, where, and what to do."""

    exit_code = EXIT_FAILURE


class SourceError(TfjsBuildError):
    """A model source is missing, unreadable, corrupt or of an unknown kind."""


class UnsupportedModelError(TfjsBuildError):
    """The model uses something the chosen TF.js format cannot express."""


class ArtifactError(TfjsBuildError):
    """A TF.js artifact cannot be written, read or published."""


class MissingDependencyError(TfjsBuildError):
    """An optional dependency (TensorFlow, Node.js, npm) is needed and absent."""


class RuntimeFailure(TfjsBuildError):
    """Running an artifact in TensorFlow.js failed."""


class ModelIOError(TfjsBuildError):
    """An artifact's inputs or outputs cannot be described from its ``model.json``."""


class ProbeError(TfjsBuildError):
    """Parity inputs cannot be made for this model, or the user's samples do not fit it."""


class ParityError(TfjsBuildError):
    """The artifact's outputs in TF.js differ from the source's beyond the tolerance.

    ``report`` is the full parity report (for its summary and record) when known.
    """

    def __init__(self, message: str, report: ParityReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class RemoteCacheError(TfjsBuildError):
    """The remote build cache (``cache_remote``) cannot be reached, read or written."""


class RemoteDenied(RemoteCacheError):
    """The remote build cache refused access (credentials, permissions)."""


class UsageError(TfjsBuildError):
    """The command line asks for something contradictory."""

    exit_code = EXIT_USAGE


class ConfigError(TfjsBuildError):
    """The ``[tool.tfjs-build]`` configuration is invalid."""

    exit_code = EXIT_USAGE


class LockfileError(TfjsBuildError):
    """The lockfile cannot be read, is not a tfjs-build lockfile, or has an invalid entry."""

    exit_code = EXIT_USAGE


class OverBudgetError(TfjsBuildError):
    """An artifact is larger than its ``max_size``."""


class RejectedBuildError(TfjsBuildError):
    """Verification rejected a build before it was published; the cause is ``__cause__``."""
