"""The timeline editor: tracks, filmstrips, waveforms, editing through an undo stack, autosave."""

from studio.ui.timeline.autosave import RecoveryDialog, find_recoverable, offer_recovery
from studio.ui.timeline.editor import TimelineEditor
from studio.ui.timeline.history import EditHistoryPanel

__all__ = ["TimelineEditor", "EditHistoryPanel", "RecoveryDialog", "find_recoverable", "offer_recovery"]
