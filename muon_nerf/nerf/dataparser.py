"""A dataparser that needs no subcommand: nerfstudio ``transforms.json`` or Blender ``transforms_*.json``.

It checks the scene first (one-line errors, see ``scene_checks``) and then hands over to nerfstudio's
own ``NerfstudioDataParser`` or ``BlenderDataParser``, whose options stay reachable as nested configs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Set, Type

from nerfstudio.data.dataparsers.base_dataparser import DataParser, DataParserConfig, DataparserOutputs
from nerfstudio.data.dataparsers.blender_dataparser import BlenderDataParserConfig
from nerfstudio.data.dataparsers.nerfstudio_dataparser import NerfstudioDataParserConfig
from nerfstudio.utils.rich_utils import CONSOLE

from muon_nerf.nerf import scene_checks


@dataclass
class AutoFormatDataParserConfig(DataParserConfig):
    """nerfstudio or Blender format, detected from the files in ``data``."""

    _target: Type = field(default_factory=lambda: AutoFormatDataParser)
    data: Path = Path("data/sample_scene")
    """Scene folder (or a nerfstudio transforms.json)."""
    check_scene: bool = True
    """Check files, poses and image sizes before training."""
    nerfstudio: NerfstudioDataParserConfig = field(
        default_factory=lambda: NerfstudioDataParserConfig(center_method="focus")
    )
    """Options used for nerfstudio-format scenes (its data path is ignored). Centred on the point the
    cameras look at, which suits object-centric captures; use center-method poses for unbounded scenes."""
    blender: BlenderDataParserConfig = field(default_factory=BlenderDataParserConfig)
    """Options used for Blender-format scenes (its data path is ignored)."""


class AutoFormatDataParser(DataParser):
    config: AutoFormatDataParserConfig

    def __init__(self, config: AutoFormatDataParserConfig) -> None:
        super().__init__(config=config)
        self._checked: Set[str] = set()
        self._announced = False

    def _generate_dataparser_outputs(self, split: str = "train", **kwargs) -> DataparserOutputs:
        data = Path(self.config.data)
        scene_format = scene_checks.detect_scene_format(data)
        if not self._announced:
            CONSOLE.print(f"[bold]muon-nerf[/bold]: {data} is a {scene_format}-format scene")
            self._announced = True
        if scene_format == "nerfstudio":
            if self.config.check_scene and "all" not in self._checked:
                scene_checks.check_nerfstudio_scene(data)
                self._checked.add("all")
            parser = dataclasses.replace(self.config.nerfstudio, data=data).setup()
            return parser.get_dataparser_outputs(split=split, **kwargs)

        transforms = scene_checks.blender_split_file(data, split)
        if self.config.check_scene and transforms.name not in self._checked:
            scene_checks.check_blender_split(data, transforms)
            self._checked.add(transforms.name)
        parser = dataclasses.replace(self.config.blender, data=data).setup()
        blender_split = transforms.stem.removeprefix("transforms_")
        return parser.get_dataparser_outputs(split=blender_split, **kwargs)
