"""Errors the engine raises on purpose.

Every refusal names the request field at fault so the CLI, the daemon and the
plugins can all report it the same way (exit code 2 / INVALID_ARGUMENT).
"""


class SceneFillError(Exception):
    """Base class for errors SceneFill reports to users."""


class InvalidRequest(SceneFillError):
    """A request field is wrong; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Cancelled(SceneFillError):
    """The caller cancelled a render; nothing was left under the final name."""
