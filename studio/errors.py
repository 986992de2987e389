"""One exception type per layer, all under KinoraError.

Messages are written for a creator: they name the problem and what to do about it.
The CLI and the UI show `str(error)`; logs keep the traceback.
"""


class KinoraError(Exception):
    """Base of every error Kinora reports to a user."""


class RecipeError(KinoraError):
    """A generation recipe or request is invalid."""


class LibraryError(KinoraError):
    """The library database or its media store cannot do what was asked."""


class ProjectError(KinoraError):
    """A project, timeline operation or project file is invalid."""


class MediaError(KinoraError):
    """A media file cannot be probed, decoded or written."""


class EngineError(KinoraError):
    """Generation failed: missing weights, out of memory, bad input, cancel."""


class ProvenanceError(KinoraError):
    """Content Credentials could not be made, signed or read."""


class FeedError(KinoraError):
    """A feed cannot be published, fetched, verified or imported (the reason names which)."""


class ConsentError(KinoraError):
    """A cameo cannot be made, granted or used: the reason names the check or rule that refused it."""


class Cancelled(KinoraError):
    """The user canceled (or paused) the work; not a failure. `reason` is "canceled" or "paused"."""

    def __init__(self, message: str, reason: str = "canceled") -> None:
        super().__init__(message)
        self.reason = reason


def os_error_message(exc: OSError) -> str:
    """One line for an OSError that escaped a layer: the file and the reason (e.g. permission denied)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    where = exc.filename if exc.filename is not None else "a file"
    return f"{where}: {reason}; check the path and its permissions"
