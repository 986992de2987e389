"""The Preview dock: the player widget over studio.playback."""

from studio.ui.player.preview import PreviewPlayer

__all__ = ["PreviewPlayer"]
