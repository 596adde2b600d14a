"""``tfjs-build tensorflowjs-converter ARGS...``: tensorflowjs_converter 4.22's command line, run
by tfjs-build's pipeline (parity check included; ``--skip_parity`` leaves it out).

The flags are the incumbent's, with its defaults, in both ``--flag=value`` and ``--flag value``
forms; :mod:`tfjs_build.cli.incumbent_translation` turns them into tfjs-build options.
"""

from __future__ import annotations

import argparse
from typing import Any

from tfjs_build import __version__
from tfjs_build.cli.incumbent_translation import INCUMBENT, INPUT_FORMATS, translate

OUTPUT_FORMATS = (
    "tfjs_layers_model",
    "tfjs_graph_model",
    "keras",
    "keras_saved_model",
    "keras_keras",
)


def add_parser(commands: Any, name: str) -> None:
    """Register the subcommand with every flag of the incumbent's command line."""
    parser = commands.add_parser(
        name,
        help=f"run a {INCUMBENT} command line through tfjs-build",
        description=f"Take {INCUMBENT}'s command line (paste it after `tfjs-build "
        "tensorflowjs-converter`) and build the artifact with tfjs-build, parity check included. "
        "Flags tfjs-build does not reproduce are refused with what to use instead; "
        "docs/how-to/migrate-from-tensorflowjs-converter.md maps each one to its tfjs-build option.",
    )
    parser.add_argument("input_path", nargs="?", help="the model to convert")
    parser.add_argument("output_path", nargs="?", help="the artifact directory to write")
    parser.add_argument(
        "--input_format",
        default="tf_saved_model",
        choices=sorted(INPUT_FORMATS),
        help="what input_path is (default: tf_saved_model)",
    )
    parser.add_argument(
        "--output_format",
        choices=OUTPUT_FORMATS,
        help="tfjs_layers_model or tfjs_graph_model (default: layers for Keras inputs, graph "
        "for TensorFlow ones)",
    )
    parser.add_argument("--signature_name", help="the SavedModel signature (tfjs-build: signature)")
    parser.add_argument(
        "--saved_model_tags",
        default="serve",
        help="comma-separated MetaGraph tags (tfjs-build: tags; default: serve)",
    )
    for dtype in ("float16", "uint8", "uint16"):
        parser.add_argument(
            f"--quantize_{dtype}",
            nargs="?",
            const=True,
            default=None,
            metavar="PATTERNS",
            help=f"comma-separated weight name patterns stored as {dtype}; without patterns, "
            f"every weight no other pattern takes (tfjs-build: --quantize-{dtype})",
        )
    parser.add_argument(
        "--quantization_bytes",
        type=int,
        choices=(1, 2),
        help="deprecated: 1 is --quantize_uint8, 2 is --quantize_uint16 for every weight",
    )
    parser.add_argument(
        "--split_weights_by_layer",
        action="store_true",
        help="each layer's weights in their own shard files (tfjs-build: split_weights_by_layer)",
    )
    parser.add_argument(
        "--version",
        "-v",
        dest="show_version",
        action="store_true",
        help="print tfjs-build's version",
    )
    parser.add_argument(
        "--skip_op_check",
        action="store_true",
        help="do not fail on ops TF.js lacks (tfjs-build: --no-check-ops)",
    )
    for flag, default in (
        ("strip_debug_ops", "on"),
        ("use_structured_outputs_names", "off"),
        ("control_flow_v2", "off"),
        ("experiments", "off"),
    ):
        parser.add_argument(
            f"--{flag}",
            metavar="BOOL",
            help=f"as the incumbent reads it, any non-empty value is true (default: {default})",
        )
    parser.add_argument(
        "--weight_shard_size_bytes",
        type=int,
        metavar="BYTES",
        help="weight shard size (tfjs-build: shard_size; default: 4194304)",
    )
    parser.add_argument(
        "--output_node_names",
        metavar="NAMES",
        help="comma-separated output nodes of a frozen graph (tfjs-build: output_nodes)",
    )
    parser.add_argument(
        "--metadata",
        metavar="NAME:PATH,...",
        help="JSON files put in userDefinedMetadata (tfjs-build: metadata)",
    )
    parser.add_argument(
        "--skip_parity", action="store_true",
        help="tfjs-build's own: publish without checking the artifact in TF.js",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Convert as the incumbent's command line asks, with tfjs-build's pipeline."""
    from tfjs_build.cli.convert_command import convert_and_report
    from tfjs_build.options import checked_model_options

    if args.show_version:
        print(f"tfjs-build {__version__} (reading {INCUMBENT}'s command line)")
        return 0
    translation = translate(args)
    options, parity = checked_model_options(
        {**translation.values, "parity": translation.parity}, "cli", "tensorflowjs-converter"
    )
    return convert_and_report(
        translation.source,
        translation.output,
        options,
        parity,
        "--skip_parity on the tensorflowjs-converter command line",
    )
