"""Make an ``ffmpeg`` executable visible on PATH, for ``ns-render`` and mediapy.

nerfstudio refuses to render video unless ``shutil.which("ffmpeg")`` finds a binary. Machines without
a system ffmpeg still have the one shipped by the ``imageio-ffmpeg`` wheel, under an unusual file name,
so we link it as ``ffmpeg`` in a per-user cache folder and put that folder first on PATH.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def _link_folder() -> Path:
    cache_root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache_root / "muon-nerf" / "bin"


def ensure_ffmpeg_on_path() -> str | None:
    """Return the ffmpeg that PATH now resolves to (None when neither system nor wheel has one)."""
    found = shutil.which("ffmpeg")
    if found is not None:
        return found
    try:
        import imageio_ffmpeg

        bundled = Path(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        return None
    folder = _link_folder()
    link = folder / "ffmpeg"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() and Path(os.readlink(link)) != bundled:
            link.unlink()
        if not link.exists():
            link.symlink_to(bundled)
    except OSError:
        return None
    os.environ["PATH"] = f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ.setdefault("IMAGEIO_FFMPEG_EXE", str(bundled))
    return shutil.which("ffmpeg")
