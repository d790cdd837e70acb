"""Method registrations: ``muon-nerf`` (Muon on hidden layers) and ``muon-nerf-adam`` (Adam baseline),
each with a ``-cpu`` preset sized so the ~50-view 100x100 sample scene trains in minutes on a laptop.

The two methods differ only in the optimizer of the hidden weights, so PSNR and rank differences are
the optimizer's doing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Tuple

import torch
from nerfstudio.configs.base_config import MachineConfig, ViewerConfig
from nerfstudio.data.datamanagers.base_datamanager import VanillaDataManagerConfig
from nerfstudio.engine.optimizers import AdamOptimizerConfig
from nerfstudio.engine.trainer import TrainerConfig
from nerfstudio.pipelines.base_pipeline import VanillaPipelineConfig
from nerfstudio.plugins.types import MethodSpecification

from muon_nerf.nerf.dataparser import AutoFormatDataParserConfig
from muon_nerf.nerf.encodings import PositionEncodingConfig
from muon_nerf.nerf.model import MuonNerfModelConfig, default_proposal_fields
from muon_nerf.nerf.optimizers import CosineSchedulerConfig, MuonOptimizerConfig


@dataclass(frozen=True)
class Preset:
    """Sizes that differ between a GPU run and a CPU run."""

    max_num_iterations: int
    train_rays: int
    trunk_depth: int
    trunk_width: int
    skip_connections: Tuple[int, ...]
    color_width: int
    nerf_samples: int
    proposal_samples: Tuple[int, ...]
    proposal_fields: Tuple[Dict[str, Any], ...]
    hash_levels: int
    hash_max_res: int
    hash_log2_size: int
    steps_per_eval_image: int
    steps_per_save: int
    vis: str


GPU = Preset(
    30000, 4096, 8, 256, (4,), 128, 64, (256, 96), tuple(default_proposal_fields()), 16, 1024, 19, 500, 2000,
    "viewer+tensorboard",
)
# One small proposal grid (a 2^14 table: the torch hash backward zero-fills the whole table every step).
CPU_PROPOSAL = {"hidden_dim": 16, "log2_hashmap_size": 14, "num_levels": 4, "max_res": 64, "use_linear": False}
CPU = Preset(1500, 512, 4, 128, (), 64, 16, (32,), (CPU_PROPOSAL,), 8, 128, 15, 500, 500, "tensorboard")

# Sample scene, 600 steps: 0.02 beats Adam with every encoding; 0.05 is best for raw coordinates only
# (+2 dB there) but loses to Adam with the hash grid.
MUON_LR = 0.02
ADAM_LR = 1e-3
ENCODING_LR = 1e-2
PROPOSAL_LR = 1e-2


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def build_trainer_config(method_name: str, use_muon: bool, preset: Preset, encoding: str = "none") -> TrainerConfig:
    """A complete nerfstudio TrainerConfig; tests and the benchmark shrink it further."""
    model = MuonNerfModelConfig(
        use_muon=use_muon,
        encoding=PositionEncodingConfig(
            kind=encoding,  # type: ignore[arg-type]
            hash_num_levels=preset.hash_levels,
            hash_max_res=preset.hash_max_res,
            hash_log2_size=preset.hash_log2_size,
        ),
        trunk_depth=preset.trunk_depth,
        trunk_width=preset.trunk_width,
        skip_connections=preset.skip_connections,
        color_width=preset.color_width,
        num_nerf_samples_per_ray=preset.nerf_samples,
        num_proposal_samples_per_ray=preset.proposal_samples,
        num_proposal_iterations=len(preset.proposal_samples),
        proposal_net_args_list=[dict(args) for args in preset.proposal_fields],
        proposal_warmup=min(5000, preset.max_num_iterations // 3),
        eval_num_rays_per_chunk=1 << 14,
    )
    cosine = CosineSchedulerConfig(max_steps=None, warmup_steps=0, final_ratio=1e-3)
    optimizers = {
        "muon": {"optimizer": MuonOptimizerConfig(lr=MUON_LR), "scheduler": cosine},
        "fields": {"optimizer": AdamOptimizerConfig(lr=ADAM_LR, eps=1e-15), "scheduler": cosine},
        "encoding": {"optimizer": AdamOptimizerConfig(lr=ENCODING_LR, eps=1e-15), "scheduler": cosine},
        "proposal_networks": {"optimizer": AdamOptimizerConfig(lr=PROPOSAL_LR, eps=1e-15), "scheduler": cosine},
    }
    if not use_muon:
        del optimizers["muon"]
    return TrainerConfig(
        method_name=method_name,
        steps_per_eval_batch=preset.steps_per_eval_image,
        steps_per_eval_image=preset.steps_per_eval_image,
        steps_per_save=preset.steps_per_save,
        max_num_iterations=preset.max_num_iterations,
        mixed_precision=False,
        pipeline=VanillaPipelineConfig(
            datamanager=VanillaDataManagerConfig(
                dataparser=AutoFormatDataParserConfig(),
                train_num_rays_per_batch=preset.train_rays,
                eval_num_rays_per_batch=preset.train_rays,
            ),
            model=model,
        ),
        optimizers=optimizers,
        viewer=ViewerConfig(num_rays_per_chunk=1 << 14),
        vis=preset.vis,  # type: ignore[arg-type]
        machine=MachineConfig(device_type=default_device()),  # type: ignore[arg-type]
    )


_MUON_TEXT = "Plain-MLP NeRF, hidden layers trained with Muon (McGinnis et al. 2025)"
_ADAM_TEXT = "The muon-nerf model trained with Adam only (baseline)"
_CPU_TEXT = "; small CPU preset for ~100x100 object scenes"

muon_nerf_method = MethodSpecification(build_trainer_config("muon-nerf", True, GPU), _MUON_TEXT + ".")
muon_nerf_adam_method = MethodSpecification(build_trainer_config("muon-nerf-adam", False, GPU), _ADAM_TEXT + ".")
muon_nerf_cpu_method = MethodSpecification(build_trainer_config("muon-nerf-cpu", True, CPU), _MUON_TEXT + _CPU_TEXT)
muon_nerf_adam_cpu_method = MethodSpecification(
    build_trainer_config("muon-nerf-adam-cpu", False, CPU), _ADAM_TEXT + _CPU_TEXT
)
