"""Lookup tables: their contents read from the loaded model, refilled in TF.js by an initializer.

A TF2 function reads a table (``tf.lookup.StaticHashTable``, Keras ``StringLookup``...) through a
captured resource, which freezing leaves as a resource placeholder; a TF1 graph creates it with a
``HashTableV2`` node and fills it with the graph's table initializers, which freezing cannot keep.
Either way each table's keys and values are exported from the loaded model as it is (whatever
initializer filled it: tensors, a vocabulary file) and the table becomes a ``HashTableV2`` node.
TF.js shares tables by node name between the model and its ``modelInitializer`` graph, which it
runs once to import the contents (``LookupTableImportV2``); tables nothing reads are pruned away.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfjs_build.errors import UnsupportedModelError
from tfjs_build.graph.graph_edit import DType, consumers, is_control, node_of, unique_name

TABLE_OPS = frozenset(
    {"HashTable", "HashTableV2", "MutableHashTableV2", "MutableHashTableOfTensorsV2"}
)
READ_OPS = frozenset({"LookupTableFindV2", "LookupTableSizeV2", "LookupTableFind"})
TABLE_INITIALIZERS = "table_initializer"
SHARED_NAME_PREFIX = "tfjs_build_table_"
DT_RESOURCE = 20
DT_INT32 = 3


@dataclass(frozen=True)
class TableContents:
    """Every key of one table and its value, as the loaded model holds them."""

    keys: np.ndarray
    values: np.ndarray


def forget_table_initializers(function: Any) -> None:
    """Drop a TF1 graph's table-initializer collection: freezing would look for initializer
    nodes the signature does not reach; the contents are exported instead."""
    graph = getattr(function, "graph", None)
    if graph is not None and graph.get_collection(TABLE_INITIALIZERS):
        graph.clear_collection(TABLE_INITIALIZERS)


def _readers(graph_def: Any, name: str) -> Iterator[Any]:
    """Nodes reading ``name`` as data, through Identity nodes."""
    index = consumers(graph_def)
    pending, seen = [name], set()
    while pending:
        current = pending.pop()
        for reader in index.get(current, []):
            if reader.name in seen or not any(
                node_of(r) == current and not is_control(r) for r in reader.input
            ):
                continue
            seen.add(reader.name)
            if reader.op == "Identity":
                pending.append(reader.name)
            else:
                yield reader


def _key_value_dtypes(graph_def: Any, node: Any, source: str) -> tuple[int, int]:
    if "key_dtype" in node.attr:
        return node.attr["key_dtype"].type, node.attr["value_dtype"].type
    for reader in _readers(graph_def, node.name):
        if reader.op in ("LookupTableFindV2", "LookupTableFind"):
            return reader.attr["Tin"].type, reader.attr["Tout"].type
    raise UnsupportedModelError(
        f"{source}: the resource {node.name!r} is read only by "
        f"{', '.join(sorted({r.op for r in _readers(graph_def, node.name)})) or 'nothing'}, "
        "which TF.js cannot run; export a signature that only looks keys up in its tables"
    )


def _export(handle: Any, key_dtype: int, value_dtype: int) -> TableContents:
    import tensorflow as tf

    keys, values = tf.raw_ops.LookupTableExportV2(
        table_handle=handle, Tkeys=tf.as_dtype(key_dtype), Tvalues=tf.as_dtype(value_dtype)
    )
    return _in_key_order(np.asarray(keys.numpy()), np.asarray(values.numpy()))


def _export_in_graph(function: Any, node_name: str, dtypes: tuple[int, int]) -> TableContents:
    """Contents of a TF1 table the (wrapped) ``function``'s graph creates as ``node_name``."""
    import tensorflow as tf

    with function.graph.as_default():
        handle = function.graph.get_tensor_by_name(f"{node_name}:0")
        keys, values = tf.raw_ops.LookupTableExportV2(
            table_handle=handle, Tkeys=tf.as_dtype(dtypes[0]), Tvalues=tf.as_dtype(dtypes[1])
        )
    exported_keys, exported_values = function.prune([], [keys, values])()
    return _in_key_order(np.asarray(exported_keys.numpy()), np.asarray(exported_values.numpy()))


def _in_key_order(keys: np.ndarray, values: np.ndarray) -> TableContents:
    """The table sorted by key: TensorFlow exports a hash table in its hash order, which differs
    from one load to the next, and the artifact should not."""
    if keys.ndim != 1:
        return TableContents(keys, values)
    order = np.argsort(keys, kind="stable")
    return TableContents(keys[order], values[order])


def _is_table_handle(graph_def: Any, node: Any) -> bool:
    if node.op in TABLE_OPS:
        return True
    return (
        node.op == "Placeholder"
        and node.attr["dtype"].type == DT_RESOURCE
        and any(reader.op.startswith("LookupTable") for reader in _readers(graph_def, node.name))
    )


def _as_hash_table(node: Any, dtypes: tuple[int, int], shared_name: str) -> None:
    node.op = "HashTableV2"
    node.attr.clear()
    node.attr["key_dtype"].type, node.attr["value_dtype"].type = dtypes
    node.attr["shared_name"].s = shared_name.encode()
    node.attr["use_node_name_sharing"].b = False
    node.attr["container"].s = b""


def materialize_tables(graph_def: Any, function: Any, source: str) -> dict[str, TableContents]:
    """Turn every table of the frozen ``graph_def`` into a ``HashTableV2`` node and export its
    contents from ``function`` (the signature as loaded). Returns contents by ``shared_name``."""
    captured = {
        internal.name.split(":")[0]: external for external, internal in function.graph.captures
    }
    tables: dict[str, TableContents] = {}
    for node in graph_def.node:
        if not _is_table_handle(graph_def, node):
            continue
        dtypes = _key_value_dtypes(graph_def, node, source)
        if node.name in captured:
            contents = _export(captured[node.name], *dtypes)
        elif node.op in TABLE_OPS and hasattr(function, "prune"):
            contents = _export_in_graph(function, node.name, dtypes)
        else:
            raise UnsupportedModelError(
                f"{source}: cannot read the contents of table {node.name!r}; "
                "export the model with its tables (tf.lookup) as TensorFlow 2 saves them"
            )
        shared_name = f"{SHARED_NAME_PREFIX}{len(tables)}"
        tables[shared_name] = contents
        _as_hash_table(node, dtypes, shared_name)
    return tables


def initializer_graph(graph_def: Any, tables: dict[str, TableContents]) -> Any | None:
    """The ``modelInitializer`` GraphDef that fills each table ``graph_def`` still reads."""
    import tensorflow as tf

    from tfjs_build.graph.scope import Scope

    used = [
        n
        for n in graph_def.node
        if n.op == "HashTableV2" and n.attr["shared_name"].s.decode() in tables
    ]
    if not used:
        return None
    initializer = tf.compat.v1.GraphDef()
    initializer.versions.CopyFrom(graph_def.versions)
    scope = Scope(initializer)
    taken = {n.name for n in graph_def.node}
    for table in used:
        contents = tables[table.attr["shared_name"].s.decode()]
        copy = initializer.node.add()
        copy.CopyFrom(table)
        keys = scope.add_const(unique_name(taken, f"{table.name}/keys"), contents.keys)
        values = scope.add_const(unique_name(taken, f"{table.name}/values"), contents.values)
        key_type, value_type = table.attr["key_dtype"].type, table.attr["value_dtype"].type
        scope.add(
            "LookupTableImportV2",
            unique_name(taken, f"{table.name}/import"),
            [table.name, keys.name, values.name],
            {"Tin": DType(key_type), "Tout": DType(value_type)},
        )
    return initializer


def flatten_lookups(graph_def: Any) -> int:
    """Look keys up as a vector and give the result the keys' shape; returns how many lookups.

    TF.js 4.22 returns the values found for keys of any shape as one vector (``HashTable.find``
    stacks them), so a [batch, 3] lookup would come back as [batch * 3].
    """
    from tfjs_build.graph.graph_edit import replace_nodes
    from tfjs_build.graph.scope import Builder, all_scopes

    count = 0
    for scope in all_scopes(graph_def):
        replaced: set[str] = set()
        for node in list(scope.nodes):
            if node.op not in ("LookupTableFindV2", "LookupTableFind"):
                continue
            b = Builder(scope, node)
            table, keys, default = b.data[:3]
            int32 = DType(DT_INT32)
            flat = b.scope.ref(
                b.emit("Reshape", [keys, b.ints([-1])], {"T": node.attr["Tin"], "Tshape": int32})
            )
            found = b.scope.ref(
                b.emit(node.op, [table, flat, default], dict(node.attr), typed=False)
            )
            shape = b.scope.ref(
                b.emit("Shape", [keys], {"T": node.attr["Tin"], "out_type": int32}, typed=False)
            )
            reshaped = b.emit("Reshape", [found, shape], {"T": node.attr["Tout"], "Tshape": int32})
            replaced.add(b.take_over(b.scope.ref(reshaped)))
            count += 1
        if replaced:
            replace_nodes(scope.nodes, [n for n in scope.nodes if n.name not in replaced])
    return count
