"""The studio window (PySide6). The only layer that imports Qt; it talks to the services below
through worker threads and signal bridges so the GUI thread never blocks."""

from studio.ui import signal_refcount

# Before any panel emits a signal: PySide6 6.12's emit() would otherwise free `True` (see the module).
signal_refcount.install()
