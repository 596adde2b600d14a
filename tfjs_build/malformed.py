"""Turn the errors a reader raises on JSON of the wrong shape into one clear error naming the file.

Readers of ``model.json`` topologies walk nested objects from anywhere; rather than type-check
every step, they run inside :func:`malformed_json`, which reports a list where an object belongs,
a missing key or a value that is not a number as the file's fault (exit 1), never as a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tfjs_build.errors import TfjsBuildError

MALFORMED_JSON_ERRORS = (
    LookupError,
    TypeError,
    AttributeError,
    ValueError,
    ArithmeticError,
    RecursionError,
)
"""What walking JSON of an unexpected shape raises (``ArithmeticError``: ``int(Infinity)``)."""


@contextmanager
def malformed_json(error: type[TfjsBuildError], what: str, hint: str) -> Iterator[None]:
    """Raise ``error("{what} is malformed (...); {hint}")`` for a walk that met the wrong shape."""
    try:
        yield
    except TfjsBuildError:
        raise
    except MALFORMED_JSON_ERRORS as exc:
        detail = f"{type(exc).__name__}: {exc}"
        raise error(f"{what} is malformed ({detail:.200}); {hint}") from None
