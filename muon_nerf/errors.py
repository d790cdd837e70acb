"""User-facing errors: one line naming the file and the problem, never a deep traceback."""

from __future__ import annotations

import sys
from typing import Callable, TypeVar

T = TypeVar("T")


class InputError(ValueError):
    """Bad user input (a path, a file's content, an option). Printed as one line by ``run_cli``."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


def run_cli(main: Callable[[], T]) -> T:
    """Run a CLI entry point; turn our expected failures into ``error: ...`` and exit status 2."""
    try:
        return main()
    except (InputError, TrainingDiverged) as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
