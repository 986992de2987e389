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
