"""Live rank of the hidden layers: tensorboard scalars plus read-only numbers in the viewer panel.

The paper's mechanism is visible here: under Adam the stable rank of hidden layers falls during
training, under Muon it stays high. Logged for the Adam baseline too, so runs compare directly.
"""

from __future__ import annotations

from typing import Dict, List

from nerfstudio.utils import writer
from nerfstudio.viewer.viewer_elements import ViewerNumber
from torch import nn

from muon_nerf.rank import RankStats, layer_rank_stats, mean_stable_rank


def _short(name: str) -> str:
    return name.removesuffix(".weight").replace(".", "_")


class RankPanel(nn.Module):
    """Holds one ViewerNumber per layer and statistic; nerfstudio's viewer finds them as attributes.

    An ``nn.Module`` without parameters, so the viewer's object walk descends into it and it adds
    nothing to checkpoints.
    """

    def __init__(self, layer_names: List[str]) -> None:
        super().__init__()
        self.layer_names = list(layer_names)
        self.mean_stable_rank = ViewerNumber("mean stable rank", 0.0, disabled=True)
        for name in self.layer_names:
            setattr(self, f"stable_{_short(name)}", ViewerNumber(f"stable rank {name}", 0.0, disabled=True))
            setattr(self, f"effective_{_short(name)}", ViewerNumber(f"eff. rank {name}", 0.0, disabled=True))

    def show(self, stats: Dict[str, RankStats]) -> None:
        self.mean_stable_rank.value = round(mean_stable_rank(stats), 3)
        for name, stat in stats.items():
            getattr(self, f"stable_{_short(name)}").value = round(stat.stable_rank, 3)
            getattr(self, f"effective_{_short(name)}").value = round(stat.effective_rank, 3)


def log_rank(weights: Dict[str, nn.Parameter], panel: RankPanel, step: int) -> Dict[str, RankStats]:
    """Compute rank stats of ``weights`` and send them to the event writers and the viewer panel."""
    stats = layer_rank_stats({name: w.detach() for name, w in weights.items()})
    for name, stat in stats.items():
        writer.put_scalar(name=f"rank/stable/{name}", scalar=stat.stable_rank, step=step)
        writer.put_scalar(name=f"rank/effective/{name}", scalar=stat.effective_rank, step=step)
    writer.put_scalar(name="rank/mean_stable", scalar=mean_stable_rank(stats), step=step)
    panel.show(stats)
    return stats
