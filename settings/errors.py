"""The project's exception base: the CLI turns any WatchError into one line on stderr and exit code 2."""


class WatchError(Exception):
    """An error an operator can act on: the message names what is wrong and where.

    `label` starts the CLI's line ("configuration error: ..."); without one, the command's name does.
    """

    label: str | None = None
