"""The muon-nerf model: proposal sampling + MLP radiance field, with Muon/Adam parameter groups.

Sampling is nerfstudio's pure-torch ``ProposalNetworkSampler`` with small hash-grid proposal fields,
so the big MLP only sees the few samples per ray that matter (fast enough for CPUs). The optimizer
split comes from ``muon_nerf.partition`` run on an example forward of the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Literal, Tuple, Type

import torch
import torch.nn.functional as F
from nerfstudio.cameras.rays import RayBundle
from nerfstudio.engine.callbacks import TrainingCallback, TrainingCallbackAttributes, TrainingCallbackLocation
from nerfstudio.field_components.field_heads import FieldHeadNames
from nerfstudio.field_components.spatial_distortions import SceneContraction
from nerfstudio.fields.density_fields import HashMLPDensityField
from nerfstudio.model_components.losses import MSELoss, distortion_loss, interlevel_loss
from nerfstudio.model_components.ray_samplers import ProposalNetworkSampler, UniformSampler
from nerfstudio.model_components.renderers import AccumulationRenderer, DepthRenderer, RGBRenderer
from nerfstudio.model_components.scene_colliders import AABBBoxCollider, NearFarCollider
from nerfstudio.models.base_model import Model, ModelConfig
from nerfstudio.utils import colormaps
from nerfstudio.utils.rich_utils import CONSOLE
from torch import Tensor
from torch.nn import Parameter

from muon_nerf.nerf.encodings import PositionEncodingConfig
from muon_nerf.nerf.errors import TrainingDivergedError
from muon_nerf.nerf.field import MlpRadianceField
from muon_nerf.nerf.metrics import ImageMetrics
from muon_nerf.nerf.optimizers import set_unknown_schedule_lengths
from muon_nerf.nerf.rank_monitor import RankPanel, log_rank
from muon_nerf.partition import partition_parameters


def default_proposal_fields() -> List[Dict[str, Any]]:
    return [
        {"hidden_dim": 16, "log2_hashmap_size": 17, "num_levels": 5, "max_res": 128, "use_linear": False},
        {"hidden_dim": 16, "log2_hashmap_size": 17, "num_levels": 5, "max_res": 256, "use_linear": False},
    ]


@dataclass
class MuonNerfModelConfig(ModelConfig):
    """Plain-MLP NeRF; ``use_muon`` decides whether hidden layers get their own Muon parameter group."""

    _target: Type = field(default_factory=lambda: MuonNerfModel)
    use_muon: bool = True
    """Put hidden 2-D weights in the 'muon' parameter group (False: everything on Adam, the baseline)."""
    encoding: PositionEncodingConfig = field(default_factory=PositionEncodingConfig)
    trunk_depth: int = 8
    trunk_width: int = 256
    skip_connections: Tuple[int, ...] = (4,)
    """Trunk layers that also read the encoded position (vanilla NeRF: 4)."""
    color_width: int = 128
    direction_sh_levels: int = 4
    unbounded: bool = False
    """False: object-centric, samples inside the scene box. True: scene contraction for unbounded scenes."""
    near_plane: float = 0.05
    far_plane: float = 1000.0
    """Ray range for unbounded scenes (bounded scenes use the scene box)."""
    background_color: Literal["random", "last_sample", "black", "white"] = "white"
    """Background behind the object; 'white' matches Blender-style renders with transparent/white backgrounds."""
    num_nerf_samples_per_ray: int = 64
    num_proposal_samples_per_ray: Tuple[int, ...] = (256, 96)
    num_proposal_iterations: int = 2
    proposal_net_args_list: List[Dict[str, Any]] = field(default_factory=default_proposal_fields)
    proposal_update_every: int = 5
    proposal_warmup: int = 5000
    use_single_jitter: bool = True
    proposal_weights_anneal_slope: float = 10.0
    proposal_weights_anneal_max_num_iters: int = 1000
    interlevel_loss_mult: float = 1.0
    distortion_loss_mult: float = 0.002
    rank_log_every: int = 100
    """Steps between stable/effective rank logs of the hidden layers (tensorboard + viewer panel)."""


class MuonNerfModel(Model):
    config: MuonNerfModelConfig

    def populate_modules(self) -> None:
        super().populate_modules()
        contraction = SceneContraction(order=float("inf")) if self.config.unbounded else None
        self.field = MlpRadianceField(
            self.scene_box.aabb,
            encoding=self.config.encoding,
            trunk_depth=self.config.trunk_depth,
            trunk_width=self.config.trunk_width,
            skip_connections=self.config.skip_connections,
            color_width=self.config.color_width,
            direction_sh_levels=self.config.direction_sh_levels,
            spatial_distortion=contraction,
        )
        self._partition = partition_parameters(
            self.field, self._example_field_forward, allow_empty_muon=not self.config.use_muon
        )
        self._muon_eligible = list(self._partition.muon_names)
        self.live_rank = RankPanel(self._muon_eligible)

        self.proposal_networks = torch.nn.ModuleList()
        for i in range(self.config.num_proposal_iterations):
            args = self.config.proposal_net_args_list[min(i, len(self.config.proposal_net_args_list) - 1)]
            self.proposal_networks.append(
                HashMLPDensityField(self.scene_box.aabb, spatial_distortion=contraction, implementation="torch", **args)
            )
        density_fns = [network.density_fn for network in self.proposal_networks]
        self._density_fns = density_fns
        self.proposal_sampler = ProposalNetworkSampler(
            num_nerf_samples_per_ray=self.config.num_nerf_samples_per_ray,
            num_proposal_samples_per_ray=self.config.num_proposal_samples_per_ray,
            num_proposal_network_iterations=self.config.num_proposal_iterations,
            single_jitter=self.config.use_single_jitter,
            update_sched=self._proposal_update_interval,
            initial_sampler=None if self.config.unbounded else UniformSampler(single_jitter=self.config.use_single_jitter),
        )
        if self.config.unbounded:
            self.collider = NearFarCollider(near_plane=self.config.near_plane, far_plane=self.config.far_plane)
        else:
            self.collider = AABBBoxCollider(self.scene_box, near_plane=0.0)

        self.renderer_rgb = RGBRenderer(background_color=self.config.background_color)
        self.renderer_accumulation = AccumulationRenderer()
        self.renderer_depth = DepthRenderer(method="median")
        self.rgb_loss = MSELoss()
        self._image_metrics = ImageMetrics()
        self.step = 0

    def _example_field_forward(self) -> Tuple[Tensor, Tensor]:
        points = torch.rand(64, 3)
        directions = F.normalize(torch.randn(64, 3), dim=-1)
        return self.field.query(points, directions)

    def _proposal_update_interval(self, step: int) -> int:
        ramp = step / max(self.config.proposal_warmup, 1) * self.config.proposal_update_every
        return int(min(max(ramp, 1), self.config.proposal_update_every))

    # ---- optimizer groups -------------------------------------------------------------------
    def get_param_groups(self) -> Dict[str, List[Parameter]]:
        CONSOLE.print(f"muon-nerf optimizer partition of the field:\n{self._partition.table()}")
        groups = {"proposal_networks": list(self.proposal_networks.parameters())}
        names = [n for n, p in self.field.named_parameters() if p.requires_grad]
        # Hash tables want a ~10x larger Adam step than the MLP; they get their own group.
        encoding_names = [n for n in names if n.startswith("position_encoding.")]
        if encoding_names:
            groups["encoding"] = [self.field.get_parameter(n) for n in encoding_names]
        muon_names = set(self._partition.muon_names) if self.config.use_muon else set()
        if muon_names:
            groups["muon"] = [self.field.get_parameter(n) for n in names if n in muon_names]
        groups["fields"] = [
            self.field.get_parameter(n) for n in names if n not in muon_names and n not in encoding_names
        ]
        if not self.config.use_muon:
            CONSOLE.print("muon-nerf: Adam baseline; the rows marked Muon above are trained with Adam")
        return groups

    def muon_eligible_weights(self) -> Dict[str, Parameter]:
        """Hidden-layer weights (Muon's under muon-nerf, Adam's under the baseline) by field parameter name."""
        return {name: self.field.get_parameter(name) for name in self._muon_eligible}

    # ---- training callbacks -----------------------------------------------------------------
    def get_training_callbacks(self, attributes: TrainingCallbackAttributes) -> List[TrainingCallback]:
        trainer = attributes.trainer
        if trainer is not None and attributes.optimizers is not None:
            total = getattr(trainer, "_start_step", 0) + trainer.config.max_num_iterations
            set_unknown_schedule_lengths(attributes.optimizers.schedulers, total)
        before, after = TrainingCallbackLocation.BEFORE_TRAIN_ITERATION, TrainingCallbackLocation.AFTER_TRAIN_ITERATION
        return [
            TrainingCallback([before], self._start_iteration),
            TrainingCallback([after], self.proposal_sampler.step_cb),
            TrainingCallback([after], self._check_weights_finite),
            TrainingCallback([after], self._log_rank, update_every_num_iters=max(self.config.rank_log_every, 1)),
        ]

    def _start_iteration(self, step: int) -> None:
        self.step = step
        progress = min(max(step / max(self.config.proposal_weights_anneal_max_num_iters, 1), 0.0), 1.0)
        slope = self.config.proposal_weights_anneal_slope
        self.proposal_sampler.set_anneal(slope * progress / ((slope - 1) * progress + 1))

    def _check_weights_finite(self, step: int) -> None:
        for name, param in self.named_parameters():
            if not torch.isfinite(param).all():
                raise TrainingDivergedError(step, f"weight {name}")

    def _log_rank(self, step: int) -> None:
        if self._muon_eligible:
            log_rank(self.muon_eligible_weights(), self.live_rank, step)

    # ---- rendering --------------------------------------------------------------------------
    def get_outputs(self, ray_bundle: RayBundle) -> Dict[str, Any]:
        ray_samples, weights_list, ray_samples_list = self.proposal_sampler(ray_bundle, density_fns=self._density_fns)
        field_outputs = self.field.forward(ray_samples)
        weights = ray_samples.get_weights(field_outputs[FieldHeadNames.DENSITY])
        weights_list.append(weights)
        ray_samples_list.append(ray_samples)
        outputs: Dict[str, Any] = {
            "rgb": self.renderer_rgb(rgb=field_outputs[FieldHeadNames.RGB], weights=weights),
            "accumulation": self.renderer_accumulation(weights=weights),
        }
        with torch.no_grad():
            outputs["depth"] = self.renderer_depth(weights=weights, ray_samples=ray_samples)
        if self.training:
            outputs["weights_list"] = weights_list
            outputs["ray_samples_list"] = ray_samples_list
        return outputs

    # ---- losses and metrics -----------------------------------------------------------------
    def get_metrics_dict(self, outputs, batch) -> Dict[str, Tensor]:
        gt_rgb = self.renderer_rgb.blend_background(batch["image"].to(self.device))
        metrics = {"psnr": -10.0 * torch.log10(F.mse_loss(outputs["rgb"].detach(), gt_rgb).clamp_min(1e-10))}
        if self.training:
            metrics["distortion"] = distortion_loss(outputs["weights_list"], outputs["ray_samples_list"])
        return metrics

    def get_loss_dict(self, outputs, batch, metrics_dict=None) -> Dict[str, Tensor]:
        pred_rgb, gt_rgb = self.renderer_rgb.blend_background_for_loss_computation(
            pred_image=outputs["rgb"], pred_accumulation=outputs["accumulation"], gt_image=batch["image"].to(self.device)
        )
        losses = {"rgb_loss": self.rgb_loss(gt_rgb, pred_rgb)}
        if self.training:
            losses["interlevel_loss"] = self.config.interlevel_loss_mult * interlevel_loss(
                outputs["weights_list"], outputs["ray_samples_list"]
            )
            assert metrics_dict is not None and "distortion" in metrics_dict
            losses["distortion_loss"] = self.config.distortion_loss_mult * metrics_dict["distortion"]
            if not torch.isfinite(sum(losses.values())):
                raise TrainingDivergedError(self.step, "the loss")
        return losses

    def get_image_metrics_and_images(
        self, outputs: Dict[str, Tensor], batch: Dict[str, Tensor]
    ) -> Tuple[Dict[str, float], Dict[str, Tensor]]:
        gt_rgb = self.renderer_rgb.blend_background(batch["image"].to(self.device))
        predicted_rgb = outputs["rgb"]
        metrics = self._image_metrics(gt_rgb, predicted_rgb)
        images = {
            "img": torch.cat([gt_rgb, predicted_rgb], dim=1),
            "accumulation": colormaps.apply_colormap(outputs["accumulation"]),
            "depth": colormaps.apply_depth_colormap(outputs["depth"], accumulation=outputs["accumulation"]),
        }
        return metrics, images
