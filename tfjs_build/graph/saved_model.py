"""Open a SavedModel directory: check it, list its tags and signatures, load one signature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfjs_build._optional import import_tensorflow
from tfjs_build.errors import SourceError
from tfjs_build.options import Origin, spell

SAVED_MODEL_PB = "saved_model.pb"
INIT_OP_SIGNATURE = "__saved_model_init_op"


@dataclass(frozen=True)
class MetaGraphInfo:
    """What one MetaGraph of a SavedModel offers: its tags and signature keys."""

    tags: frozenset[str]
    signatures: tuple[str, ...]
    has_variables: bool


def _read_saved_model_proto(path: Path) -> Any:
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise SourceError(
            f"{path}: not a SavedModel directory (SavedModels are directories with {SAVED_MODEL_PB})"
        )
    pb_file = path / SAVED_MODEL_PB
    if not pb_file.is_file():
        hint = (
            " (a .pbtxt SavedModel is not supported; save it in binary form)"
            if (path / "saved_model.pbtxt").exists()
            else ""
        )
        raise SourceError(f"{path}: not a SavedModel directory, {SAVED_MODEL_PB} is missing{hint}")
    import_tensorflow()
    from google.protobuf.message import DecodeError
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    try:
        proto.ParseFromString(pb_file.read_bytes())
    except DecodeError as exc:
        raise SourceError(
            f"{pb_file}: truncated or corrupt ({exc}); export the SavedModel again"
        ) from None
    if not proto.meta_graphs:
        raise SourceError(
            f"{pb_file}: holds no MetaGraph (truncated or empty); export the SavedModel again"
        )
    return proto


def read_meta_graph(path: Path, tags: Sequence[str]) -> Any:
    """The MetaGraphDef of the (checked) SavedModel at ``path`` tagged ``tags``."""
    wanted = frozenset(tags)
    proto = _read_saved_model_proto(path)
    return next(meta for meta in proto.meta_graphs if frozenset(meta.meta_info_def.tags) == wanted)


def _uses_variables(meta_graph: Any) -> bool:
    objects = meta_graph.object_graph_def.nodes
    return any(node.WhichOneof("kind") == "variable" for node in objects)


def _meta_graph_info(meta: Any) -> MetaGraphInfo:
    return MetaGraphInfo(
        tags=frozenset(meta.meta_info_def.tags),
        signatures=tuple(sorted(k for k in meta.signature_def if k != INIT_OP_SIGNATURE)),
        has_variables=_uses_variables(meta),
    )


def inspect_saved_model(path: Path) -> list[MetaGraphInfo]:
    """The MetaGraphs of the SavedModel at ``path``; raise SourceError if it is not one."""
    return [_meta_graph_info(meta) for meta in _read_saved_model_proto(path).meta_graphs]


def signature_defs(path: Path) -> list[tuple[frozenset[str], str, Any]]:
    """``(MetaGraph tags, signature key, SignatureDef proto)`` of every signature, read from
    ``saved_model.pb`` alone (nothing is loaded or run)."""
    proto = _read_saved_model_proto(Path(path))
    return [
        (frozenset(meta.meta_info_def.tags), key, meta.signature_def[key])
        for meta in proto.meta_graphs
        for key in sorted(meta.signature_def)
        if key != INIT_OP_SIGNATURE
    ]


def list_signatures(path: Path, tags: Sequence[str] | None = None) -> list[str]:
    """Signature keys of the SavedModel at ``path`` (of the MetaGraph with ``tags`` if given)."""
    metas = inspect_saved_model(Path(path))
    if tags is not None:
        metas = [_select_meta_graph(Path(path), metas, tags, "python")]
    return sorted({key for meta in metas for key in meta.signatures})


def _format_tags(tags: frozenset[str] | Sequence[str]) -> str:
    return "[" + ", ".join(sorted(tags)) + "]"


def _select_meta_graph(
    path: Path, metas: list[MetaGraphInfo], tags: Sequence[str], origin: Origin
) -> MetaGraphInfo:
    wanted = frozenset(tags)
    for meta in metas:
        if meta.tags == wanted:
            return meta
    existing = ", ".join(_format_tags(meta.tags) for meta in metas)
    raise SourceError(
        f"{path}: no MetaGraph with tags {_format_tags(wanted)}; it has {existing}; choose one "
        f"with {spell('tags', tuple(sorted(metas[0].tags)) if metas else ('serve',), origin)}"
    )


def _check_variables(path: Path) -> None:
    index = path / "variables" / "variables.index"
    if not index.is_file():
        raise SourceError(
            f"{index}: missing, but the SavedModel has variables; copy the whole SavedModel directory"
        )
    shards = sorted((path / "variables").glob("variables.data-*-of-*"))
    if not shards:
        raise SourceError(
            f"{path / 'variables'}: variable data files (variables.data-*) are missing; copy the whole SavedModel directory"
        )
    count = int(shards[0].name.rsplit("-of-", 1)[1])
    for number in range(count):
        shard = path / "variables" / f"variables.data-{number:05d}-of-{count:05d}"
        if not shard.is_file():
            raise SourceError(f"{shard}: missing; copy the whole SavedModel directory")


@dataclass
class LoadedSignature:
    """A signature's concrete function, with the loaded object kept alive for its variables."""

    function: Any
    owner: Any
    source: Path
    signature: str


def check_signature(path: Path, signature: str, tags: Sequence[str], origin: Origin) -> Any:
    """The MetaGraphDef tagged ``tags`` of the SavedModel at ``path``; SourceError unless the
    SavedModel is whole and has ``signature`` there (hints spell options as set in ``origin``)."""
    meta_graphs = list(_read_saved_model_proto(path).meta_graphs)
    infos = [_meta_graph_info(meta_graph) for meta_graph in meta_graphs]
    meta = _select_meta_graph(path, infos, tags, origin)
    if signature not in meta.signatures:
        existing = ", ".join(meta.signatures) or "none"
        raise SourceError(
            f"{path}: no signature {signature!r} (it has: {existing}); choose one with "
            f"{spell('signature', next(iter(meta.signatures), 'serving_default'), origin)}"
        )
    if meta.has_variables:
        _check_variables(path)
    return meta_graphs[infos.index(meta)]


def load_signature(
    path: Path, signature: str, tags: Sequence[str], origin: Origin = "python"
) -> LoadedSignature:
    """Check the SavedModel at ``path`` and load the concrete function of ``signature`` (hints
    spell options as set in ``origin``)."""
    path = Path(path)
    check_signature(path, signature, tags, origin)
    return load_checked_signature(path, signature, tags)


def load_checked_signature(path: Path, signature: str, tags: Sequence[str]) -> LoadedSignature:
    """``load_signature`` for a SavedModel ``check_signature`` has passed."""
    tf = import_tensorflow()
    try:
        owner = tf.saved_model.load(str(path), tags=list(tags))
    except Exception as exc:  # TensorFlow raises many types for bad directories
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{path}: TensorFlow cannot load this SavedModel: {first_line}") from None
    return LoadedSignature(
        function=owner.signatures[signature], owner=owner, source=path, signature=signature
    )
