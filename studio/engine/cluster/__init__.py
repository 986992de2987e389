"""The cluster engine: the same queue, drained by Ray actors, one per GPU slot, each keeping its model warm.

`SlotPool` connects to a Ray cluster and starts the actors (`SlotWorker`); `ClusterEngine` is the engine the
studio, the CLI and the server drive (submit, cancel, pause, resume, events), with the library, the queue and
the finished takes staying on this computer. Importing this package does not import Ray; connecting does.
"""

from .engine import ClusterEngine
from .pool import ClusterSettings, SlotPool

__all__ = ["ClusterEngine", "ClusterSettings", "SlotPool"]
