"""Playback without Qt: sources (a file, an edit, frames in memory), the clocks that drive them
(the audio device as master, the wall clock when silent) and the Player core the preview uses."""

from studio.playback.decode_ahead import DecodedFrame
from studio.playback.player import SPEED_RAMP, PlaybackStats, Player
from studio.playback.sinks import SILENT_NOTICE, Sink, SoundDeviceSink, WallClockSink, open_audio_sink
from studio.playback.sources import ArraySource, FileSource, Source
from studio.playback.timeline_source import TimelineSource

__all__ = [
    "SILENT_NOTICE", "SPEED_RAMP", "ArraySource", "DecodedFrame", "FileSource", "PlaybackStats", "Player",
    "Sink", "SoundDeviceSink", "Source", "TimelineSource", "WallClockSink", "open_audio_sink",
]
