"""Media layer: probe, frame-accurate decode, audio, encode, waveform, thumbnails, generators, export, sync.

Built on PyAV (FFmpeg's libraries) and numpy; imports nothing of Kinora's but studio.errors and
studio.atomic, and never Qt.
"""
