"""Reading YAML the one way every data file of the watch is read (config, taxonomy, weights).

libyaml's C loader when PyYAML was built with it (the taxonomy parses in about 40 ms instead of 450:
every process that classifies pays this once), else the pure-Python safe loader. Both are safe loaders.
"""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAMLError = yaml.YAMLError


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader (CSafeLoader or SafeLoader)
