"""The bottom of the house: the settings schema and loader, and the project's exception base.

Nothing here imports any other package of the project, so every layer can read its settings and raise
errors the CLI prints as one line.
"""

from settings.config import ENV_OVERRIDES, SCHEMA, Config, ConfigError, Setting, load
from settings.errors import WatchError

__all__ = ["ENV_OVERRIDES", "SCHEMA", "Config", "ConfigError", "Setting", "WatchError", "load"]
