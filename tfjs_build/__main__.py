"""``python -m tfjs_build`` runs the CLI."""

from __future__ import annotations

from tfjs_build.cli import main

raise SystemExit(main())
