"""The messages tfjs-build's errors carry, collected from the source: what the troubleshooting
page must explain."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import tfjs_build
from tfjs_build import errors

PACKAGE = Path(tfjs_build.__file__).parent
ERROR_CLASSES = {
    name
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, errors.TfjsBuildError)
}
ACTION = re.compile(
    r"\b(use|set|install|delete|rename|move|choose|give|add|re-save|pass|convert|fix|remove|"
    r"point|export|run|import|check|drop|retrain|save|quantize|skip|target|allow)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Message:
    """One error message: its constant text with ``…`` for what is filled in, and where it is."""

    template: str
    error: str
    where: str

    @property
    def key_phrase(self) -> str:
        """Its longest constant fragment: what identifies it on the troubleshooting page."""
        return max((part.strip(" ;,:.()") for part in self.template.split("…")), key=len)

    @property
    def tells_what_to_do(self) -> bool:
        """Whether the message asks the user to do something."""
        return bool(ACTION.search(self.template))


def _text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(value.value) if isinstance(value, ast.Constant) else "…" for value in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        return None if left is None or right is None else left + right
    return None


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def error_messages() -> list[Message]:
    """Every message given to a ``TfjsBuildError`` class where it is raised or built."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _called_name(node) not in ERROR_CLASSES:
                continue
            if not node.args:
                continue
            template = _text(node.args[0])
            if template and template.strip("…"):
                where = f"{path.relative_to(PACKAGE.parent).as_posix()}:{node.lineno}"
                found.append(Message(re.sub(r"…+", "…", template), str(_called_name(node)), where))
    return found
