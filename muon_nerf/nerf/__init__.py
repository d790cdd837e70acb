"""The muon-nerf nerfstudio plugin: a plain-MLP radiance field whose hidden layers train with Muon.

Importing the package (nerfstudio does so through the entry points before any command runs) also puts
an ffmpeg binary on PATH, so ``ns-render`` works where no system ffmpeg is installed.
"""

from muon_nerf.nerf.ffmpeg import ensure_ffmpeg_on_path

ensure_ffmpeg_on_path()
