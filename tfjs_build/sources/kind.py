"""What a source kind is: the one object that knows how to recognise, fingerprint, convert,
check and describe one kind of model source (standard library only at import time)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tfjs_build.options import ConvertOptions, Origin
from tfjs_build.project.fingerprint import HashCache, tree_fingerprint

if TYPE_CHECKING:
    from tfjs_build.convert import Conversion
    from tfjs_build.parity.reference import ReferenceResult
    from tfjs_build.runtime.pool import RuntimePool
    from tfjs_build.source_summary import SourceSummary

ModelFormat = Literal["layers", "graph"]


@dataclass(frozen=True)
class ReferenceRequest:
    """What parity asks a source for: its outputs on ``inputs``, keyed like the artifact's
    ``output_names`` (``graph``: the artifact is a graph model)."""

    source: Path
    inputs: Mapping[str, Any]
    output_names: Sequence[str]
    graph: bool
    signature: str = "serving_default"
    allow_unsafe_deserialization: bool = False
    imports: Sequence[str] = ()
    project_root: Path | None = None
    origin: Origin = "python"
    runtimes: RuntimePool | None = None
    """The build's TF.js runtimes, for a source that runs in TF.js itself."""


class SourceKind(Protocol):
    """One kind of model source. Adding a kind is a module with one of these and a line in
    :mod:`tfjs_build.sources.registry`; nothing else branches on kinds."""

    name: str
    """The short name ``identify_source`` returns (``keras``, ``saved_model``, ...)."""
    label: str
    """What ``inspect`` calls it (``TensorFlow SavedModel``)."""
    recognised_by: str
    """How a path is taken for this kind (Markdown, for the reference page)."""
    formats: tuple[ModelFormat, ...]
    """The formats it converts to; ``format = "auto"`` picks among them."""

    def recognise(self, path: Path) -> bool:
        """Whether ``path`` (which exists) is of this kind, by its name and layout; raises
        ``SourceError`` when it claims this kind but its content is wrong."""

    def fingerprint(self, path: Path, hashes: HashCache, options: ConvertOptions) -> str:
        """``sha256:`` of everything of the source that shapes its artifact."""

    def plan(self, path: Path, options: ConvertOptions) -> tuple[ModelFormat, str]:
        """The format :meth:`convert` makes for ``options.format`` and why, without converting
        (``tfjs-build convert --dry-run``)."""

    def convert(self, path: Path, options: ConvertOptions) -> Conversion:
        """The artifact in ``options.format`` (``auto``: the kind's choice, with its reason)."""

    def reference(self, request: ReferenceRequest) -> ReferenceResult:
        """The source's own outputs on the parity inputs."""

    def compute_dtype(self, path: Path) -> str | None:
        """The 16-bit float dtype the source computes in, if any (widens parity tolerances)."""

    def summarize(self, path: Path, origin: Origin) -> SourceSummary:
        """What ``tfjs-build inspect`` shows for it."""


class FileKind:
    """Defaults a kind shares: the fingerprint covers the source's bytes (every file under a
    directory) and nothing computes in 16 bits."""

    def fingerprint(self, path: Path, hashes: HashCache, options: ConvertOptions) -> str:
        """The source's bytes (every relative name and file hash under a directory)."""
        return tree_fingerprint(path, hashes)

    def compute_dtype(self, path: Path) -> str | None:
        """No 16-bit arithmetic unless the kind says otherwise."""
        return None
