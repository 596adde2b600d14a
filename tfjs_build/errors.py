"""The error hierarchy: every error a user can cause is a ``TfjsBuildError``.

The CLI prints these as one line and exits 1; anything else is a bug and gets a traceback.
"""

from __future__ import annotations


class TfjsBuildError(Exception):
    """A failure the message explains: what went wrong, where, and what to do."""


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


class UsageError(TfjsBuildError):
    """The command line asks for something contradictory (the CLI exits 2)."""
