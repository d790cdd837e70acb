"""The 2D fitting suite: one runner, four tasks (image, inpaint, sisr, ct)."""

from typing import Annotated, Union

import tyro

from muon_nerf.tasks2d.common import Problem, TaskConfig, TaskResult, run_task
from muon_nerf.tasks2d.ct import CtTaskConfig
from muon_nerf.tasks2d.image import ImageTaskConfig
from muon_nerf.tasks2d.inpaint import InpaintTaskConfig
from muon_nerf.tasks2d.sisr import SuperResolutionConfig

TASKS: dict[str, type[TaskConfig]] = {
    "image": ImageTaskConfig,
    "inpaint": InpaintTaskConfig,
    "sisr": SuperResolutionConfig,
    "ct": CtTaskConfig,
}

TaskChoice = Union[tuple(Annotated[cls, tyro.conf.subcommand(name)] for name, cls in TASKS.items())]  # type: ignore
"""The tasks as tyro subcommands (``image``, ``inpaint``, ``sisr``, ``ct``)."""

__all__ = ["TASKS", "TaskChoice", "Problem", "TaskConfig", "TaskResult", "run_task", "ImageTaskConfig", "InpaintTaskConfig",
           "SuperResolutionConfig", "CtTaskConfig"]
