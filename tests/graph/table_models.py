"""SavedModels with lookup tables and string inputs: tf.lookup tables with string and integer
keys, Keras StringLookup and IntegerLookup, a TF1 table initializer, string hashing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tests.graph.models import Case, run_signature
from tests.graph.tf1_models import save_tf1

WORDS = ["cat", "dog", "bird", "héron", "鳥"]


def string_table_module(directory: Path) -> Case:
    """A StaticHashTable from words to ids, ids indexing a weight; an unused second table."""
    import tensorflow as tf

    class Vocabulary(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            ids = tf.constant(np.arange(len(WORDS), dtype="int64") * 2 + 1)
            self.table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(tf.constant(WORDS), ids), default_value=-1
            )
            self.unused = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(tf.constant([1, 2]), tf.constant([5.0, 6.0])),
                default_value=0.0,
            )
            self.weights = tf.Variable(np.linspace(-1.0, 1.0, 2 * len(WORDS) + 2, dtype="float32"))

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="word")])
        def __call__(self, word: Any) -> Any:
            ids = self.table.lookup(word)
            return {"ids": ids, "score": tf.gather(self.weights, ids + 1)}

    module = Vocabulary()
    tf.saved_model.save(module, str(directory), signatures=module.__call__)
    feed = {"word": np.array(["dog", "héron", "unknown", "cat", "鳥", ""], dtype=object)}
    return Case(directory, feed, run_signature(directory, feed))


def integer_table_module(directory: Path) -> Case:
    """A StaticHashTable from int64 codes to float32 values, looked up on a 2-D input."""
    import tensorflow as tf

    class Codes(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            keys = tf.constant([3, 17, 42, 1000, -5], tf.int64)
            values = tf.constant([0.5, 1.5, -2.0, 4.25, 9.0], tf.float32)
            self.table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(keys, values), default_value=-1.0
            )

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.int64, name="code")])
        def __call__(self, code: Any) -> Any:
            return {"value": self.table.lookup(code) * 2.0}

    module = Codes()
    tf.saved_model.save(module, str(directory), signatures=module.__call__)
    feed = {"code": np.array([[3, 42], [7, -5], [1000, 17]], dtype="int64")}
    return Case(directory, feed, run_signature(directory, feed))


def keras_lookups_export(directory: Path) -> Case:
    """Keras 3 StringLookup and IntegerLookup feeding embeddings, written by ``model.export``."""
    import keras

    rng = np.random.default_rng(41)
    tokens = keras.Input((3,), dtype="string", name="tokens")
    codes = keras.Input((2,), dtype="int64", name="codes")
    token_ids = keras.layers.StringLookup(vocabulary=WORDS, name="words")(tokens)
    code_ids = keras.layers.IntegerLookup(vocabulary=[10, 20, 30], name="code_ids")(codes)
    embedded = keras.layers.Concatenate(axis=1)(
        [
            keras.layers.Embedding(len(WORDS) + 1, 4)(token_ids),
            keras.layers.Embedding(4, 4)(code_ids),
        ]
    )
    pooled = keras.layers.GlobalAveragePooling1D()(embedded)
    outputs = keras.layers.Dense(2, name="scores")(pooled)
    model = keras.Model([tokens, codes], outputs)
    for variable in model.trainable_weights:
        variable.assign(rng.uniform(-1.0, 1.0, variable.shape).astype("float32"))
    model.export(str(directory), verbose=False)
    feed = {
        "tokens": np.array([["cat", "鳥", "zebra"], ["", "dog", "dog"]], dtype=object),
        "codes": np.array([[10, 99], [30, 20]], dtype="int64"),
    }
    return Case(directory, feed, run_signature(directory, feed))


def _tf1_table(rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, Any]]:
    import tensorflow as tf

    v1 = tf.compat.v1
    word = v1.placeholder(tf.string, [None], name="word")
    initializer = tf.lookup.KeyValueTensorInitializer(
        WORDS, list(range(len(WORDS))), key_dtype=tf.string, value_dtype=tf.int64
    )
    table = tf.lookup.StaticHashTable(initializer, -1)
    weights = v1.get_variable("w", initializer=rng.normal(size=(1, 3)).astype("float32"))
    ids = tf.cast(table.lookup(word), tf.float32)
    return {"word": word}, {"embedded": ids[:, None] * weights}


def tf1_table(directory: Path) -> Case:
    """A TF1 graph whose table is filled by the graph's table initializer."""
    save_tf1(directory, _tf1_table, seed=42)
    feed = {"word": np.array(["bird", "nope", "cat"], dtype=object)}
    return Case(directory, feed, run_signature(directory, feed))


def string_hashing_module(directory: Path) -> Case:
    """A signature taking tf.string and hashing it into embedding buckets (no table)."""
    import tensorflow as tf

    rng = np.random.default_rng(43)

    class Hashed(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = tf.Variable(rng.normal(size=(16, 3)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.string, name="text")])
        def __call__(self, text: Any) -> Any:
            buckets = tf.strings.to_hash_bucket_fast(text, 16)
            return {"buckets": buckets, "embedded": tf.gather(self.embedding, buckets)}

    module = Hashed()
    tf.saved_model.save(module, str(directory), signatures=module.__call__)
    feed = {"text": np.array([["hello", "wörld"], ["", "tf.js"]], dtype=object)}
    return Case(directory, feed, run_signature(directory, feed))
