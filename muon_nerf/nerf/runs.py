"""Run nerfstudio training inside the current Python process (tests, benchmarks).

Importing nerfstudio costs tens of seconds, so repeated short runs share one process instead of
spawning ``ns-train`` each time. ``prepare_config`` turns a registered method into a run config.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch
from nerfstudio.engine.trainer import Trainer, TrainerConfig


def prepare_config(
    method: str,
    data: Path,
    output_dir: Path,
    steps: int,
    train_rays: Optional[int] = None,
    encoding: Optional[str] = None,
    timestamp: str = "run",
    device: str = "cpu",
    **model_overrides: Any,
) -> TrainerConfig:
    """A copy of registered ``method`` on ``data`` for ``steps`` steps: no viewer, no eval while training."""
    from nerfstudio.configs.method_configs import all_methods

    config = dataclasses.replace(all_methods[method])
    model = dataclasses.replace(config.pipeline.model, **model_overrides)
    if encoding is not None:
        model.encoding = dataclasses.replace(model.encoding, kind=encoding)
    datamanager = dataclasses.replace(config.pipeline.datamanager, data=data)
    if hasattr(datamanager.dataparser, "data"):
        datamanager.dataparser = dataclasses.replace(datamanager.dataparser, data=data)
    if train_rays is not None:
        datamanager.train_num_rays_per_batch = train_rays
        datamanager.eval_num_rays_per_batch = train_rays
    config.pipeline = dataclasses.replace(config.pipeline, datamanager=datamanager, model=model)
    config.data = data
    config.output_dir = output_dir
    config.timestamp = timestamp
    config.vis = "tensorboard"
    config.max_num_iterations = steps
    config.steps_per_save = max(steps, 1)
    config.steps_per_eval_batch = config.steps_per_eval_image = 10**9
    config.steps_per_eval_all_images = 10**9
    config.machine = dataclasses.replace(config.machine, device_type=device)
    config.viewer = dataclasses.replace(config.viewer, quit_on_train_completion=True)
    config.logging = dataclasses.replace(
        config.logging, local_writer=dataclasses.replace(config.logging.local_writer, enable=False)
    )
    return config


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def setup_trainer(config: TrainerConfig) -> Trainer:
    """What ``ns-train`` does after parsing: save config.yml, build the trainer (loads --load-dir)."""
    seed_everything(config.machine.seed)
    config.save_config()
    trainer = config.setup(local_rank=0, world_size=1)
    trainer.setup()
    return trainer


def train(config: TrainerConfig) -> Trainer:
    trainer = setup_trainer(config)
    trainer.train()
    return trainer
