"""The studio window (PySide6). The only layer that imports Qt; it talks to the services below
through worker threads and signal bridges so the GUI thread never blocks."""
