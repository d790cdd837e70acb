"""Output folders appear whole or not at all: a run writes into a hidden staging folder that is
renamed into place only when everything is written."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any, Iterator

from muon_nerf.errors import InputError


def check_output_dir(path: Path, overwrite: bool) -> None:
    """Fail before any work if ``path`` holds something and we may not replace it."""
    if path.exists() and not overwrite and (not path.is_dir() or any(path.iterdir())):
        raise InputError(f"{path}: output folder exists and is not empty (pass --overwrite to replace it)")


@contextlib.contextmanager
def staged_output_dir(path: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a staging folder next to ``path``; on success it becomes ``path``, on error it goes."""
    check_output_dir(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if path.exists():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    staging.rename(path)


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy / torch scalars
        return value.item()
    return value


def write_json(path: Path, data: Any) -> None:
    """JSON of dataclasses, paths and numpy/torch scalars, indented for people to read."""
    path.write_text(json.dumps(_jsonable(data), indent=2, allow_nan=True) + "\n")
