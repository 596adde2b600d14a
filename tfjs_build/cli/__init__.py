"""The ``tfjs-build`` command line: one parser, one error handler, stable exit codes.

Exit codes: 0 success; 1 a failure the message explains; 2 bad usage, an invalid configuration
or lockfile; 3 an unexpected error (a bug: the traceback is printed); 130 interrupted (Ctrl-C).
Each error class in :mod:`tfjs_build.errors` carries its code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Sequence

from tfjs_build import __version__
from tfjs_build.cli import (
    cache_command,
    check_command,
    convert_command,
    diff_command,
    inspect_command,
    report_command,
    tensorflowjs_converter_command,
    verify_command,
)
from tfjs_build.errors import (
    EXIT_BUG,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    TfjsBuildError,
    UsageError,
    describe_os_error,
)
from tfjs_build.interrupts import EXIT_TERMINATED, Terminated, terminate_as_exception

_COMMANDS = {
    "check": check_command,
    "convert": convert_command,
    "cache": cache_command,
    "diff": diff_command,
    "inspect": inspect_command,
    "report": report_command,
    "verify": verify_command,
    "tensorflowjs-converter": tensorflowjs_converter_command,
}


def make_parser() -> argparse.ArgumentParser:
    """The full argument parser (kept separate so the CLI reference can be generated from it)."""
    parser = argparse.ArgumentParser(
        prog="tfjs-build",
        description="Build TensorFlow.js artifacts from Keras and SavedModel sources.",
    )
    parser.add_argument("--version", action="version", version=f"tfjs-build {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in _COMMANDS.items():
        module.add_parser(commands, name)
    return parser


def _discard_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ info logs are noise here
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        with terminate_as_exception():
            code = int(_COMMANDS[args.command].run(args))
            sys.stdout.flush()  # a closed pipe (``| head``) shows here, not at exit
            return code
    except KeyboardInterrupt:
        print("tfjs-build: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("tfjs-build: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except BrokenPipeError:
        _discard_stdout()  # the reader left (``| head -1``): nothing more to say, and no traceback
        return EXIT_FAILURE
    except TfjsBuildError as exc:
        where = f" {args.command}" if isinstance(exc, UsageError) else ""
        print(f"tfjs-build{where}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # an ordinary fault no message anticipated: still one line
        print(f"tfjs-build: error: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception:
        traceback.print_exc()
        print(
            "tfjs-build: unexpected error (a bug in tfjs-build); please report it with the traceback above",
            file=sys.stderr,
        )
        return EXIT_BUG
