"""Errors that end a run with one readable line instead of a traceback.

They subclass ``SystemExit``: uncaught, Python prints only the message and exits with status 1, which
is what a user of ``ns-train`` needs for bad input or a diverged run. Tests catch them like any error.
"""

from __future__ import annotations


class InvalidSceneError(SystemExit):
    """The data folder cannot be trained on (missing files, bad poses, mixed image sizes)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"muon-nerf: invalid scene: {message}")


class TrainingDivergedError(SystemExit):
    """The loss or the weights became NaN/inf; raised before any checkpoint of that state is written."""

    def __init__(self, step: int, what: str) -> None:
        super().__init__(
            f"muon-nerf: {what} became non-finite at step {step}; the learning rate is most likely too high "
            "(lower --optimizers.muon.optimizer.lr / --optimizers.fields.optimizer.lr); no checkpoint was saved "
            "for this step"
        )
        self.step = step
