"""Image quality metrics that work offline.

torchmetrics' LPIPS downloads AlexNet on construction, which fails without internet; we build it only
when the weights are already in the torch hub cache and otherwise report ``lpips_skipped = 1``.
LPIPS is kept out of the model's ``state_dict`` so checkpoints load whether or not it was available.
"""

from __future__ import annotations

from typing import Dict, Optional

import torch
from nerfstudio.utils.rich_utils import CONSOLE
from torch import Tensor
from torchmetrics.functional import peak_signal_noise_ratio, structural_similarity_index_measure

from muon_nerf.lpips import alexnet_checkpoint


class ImageMetrics:
    """PSNR, SSIM and (if its weights are cached) LPIPS of one predicted image against ground truth."""

    def __init__(self) -> None:
        self.lpips: Optional[torch.nn.Module] = None
        if alexnet_checkpoint().is_file():
            from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

            self.lpips = LearnedPerceptualImagePatchSimilarity(normalize=True)
        else:
            CONSOLE.print("muon-nerf: LPIPS skipped (AlexNet weights not in the torch hub cache; no download offline)")

    def __call__(self, gt: Tensor, predicted: Tensor) -> Dict[str, float]:
        """Images are (H, W, 3) in [0, 1]."""
        gt_nchw = torch.moveaxis(gt, -1, 0)[None].clamp(0, 1)
        pred_nchw = torch.moveaxis(predicted, -1, 0)[None].clamp(0, 1)
        metrics = {
            "psnr": float(peak_signal_noise_ratio(pred_nchw, gt_nchw, data_range=1.0)),
            "ssim": float(structural_similarity_index_measure(pred_nchw, gt_nchw, data_range=1.0)),
        }
        if self.lpips is None:
            metrics["lpips_skipped"] = 1.0
        else:
            self.lpips = self.lpips.to(pred_nchw.device)
            metrics["lpips"] = float(self.lpips(pred_nchw, gt_nchw))
        return metrics
