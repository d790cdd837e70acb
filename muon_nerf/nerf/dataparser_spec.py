"""Registers the auto-detecting dataparser as the ``muon-nerf-data`` subcommand.

Kept apart from ``config`` so nerfstudio's dataparser discovery does not import the whole method.
"""

from nerfstudio.plugins.registry_dataparser import DataParserSpecification

from muon_nerf.nerf.dataparser import AutoFormatDataParserConfig

auto_format_dataparser = DataParserSpecification(
    config=AutoFormatDataParserConfig(),
    description="nerfstudio (transforms.json) or Blender (transforms_train.json) scene, detected automatically",
)
