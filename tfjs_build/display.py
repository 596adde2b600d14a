"""How paths and sizes are shown to a person: short, relative where that helps."""

from __future__ import annotations

from pathlib import Path


def shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else as given."""
    try:
        return Path(path).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def human_bytes(count: int) -> str:
    """``512 B``, ``1.5 kB``, ``104.9 MB`` (decimal units)."""
    if count < 1000:
        return f"{count} B"
    size = count / 1000
    for unit in ("kB", "MB"):
        if size < 1000:
            return f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def parse_size(text: str | int) -> int:
    """``"2GB"``, ``"500 MB"``, ``"64kB"`` or a number of bytes to bytes; ValueError otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"a size cannot be negative ({text})")
        return text
    if not isinstance(text, str):
        raise ValueError(f"expected a size such as '2GB' or a number of bytes, got {text!r}")
    units = {
        "": 1,
        "B": 1,
        "KB": 10**3,
        "MB": 10**6,
        "GB": 10**9,
        "TB": 10**12,
        "KIB": 2**10,
        "MIB": 2**20,
        "GIB": 2**30,
        "TIB": 2**40,
    }
    stripped = text.strip().upper()
    number = stripped.rstrip("KMGTIB").strip()
    unit = stripped[len(stripped.rstrip("KMGTIB")) :]
    try:
        value = float(number)
    except ValueError:
        raise ValueError(
            f"expected a size such as '2GB', '500MB' or a number of bytes, got {text!r}"
        ) from None
    if unit not in units or value < 0:
        raise ValueError(
            f"expected a size such as '2GB', '500MB' or a number of bytes, got {text!r}"
        )
    return int(value * units[unit])
