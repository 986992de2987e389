"""Getting the worker thread ready before the first job, so the first Generate click does not wait.

Importing torch, diffusers and transformers takes seconds of Python work that holds the GIL in long
stretches (which is why the studio runs the engine in a process of its own); done at the first job it
lands in the middle of the user's first interaction. The runner's worker thread does it once when it
starts, then freezes the imported object graph out of the garbage collector's reach, and leaves one
core to the rest of the machine (the studio window's process, or whatever else the user runs).
"""

from __future__ import annotations

import gc
import logging
import os

log = logging.getLogger(__name__)


def spare_a_core() -> int:
    """Cap torch's intra-op threads at all cores but one (at least one); returns the count set.

    Call it on the thread that runs the models: with OpenMP the count belongs to the calling thread
    (and threads that first use torch later). With every core busy in a denoising step the window's
    process waits for a core and the studio stutters; on a GPU the CPU threads barely matter.
    """
    import torch

    threads = max(1, (os.cpu_count() or 1) - 1)
    torch.set_num_threads(threads)
    return threads


def warm_imports() -> None:
    """Import the modules every generation needs (torch, the LTX-2 pipeline classes, their text encoder,
    the MP4 writer), then freeze every object alive now out of the garbage collector's reach.

    Modules live as long as the process, yet each full collection would walk their ~400k objects
    holding the GIL. Loaded models are not frozen, so unloading one frees it with an ordinary pass.
    (Cyclic garbage alive at this moment stays frozen: import-time leftovers, nothing large.)
    """
    import torch  # noqa: F401
    from diffusers import LTX2ConditionPipeline, LTX2Pipeline  # noqa: F401  (diffusers imports lazily)
    from transformers import Gemma3ForConditionalGeneration  # noqa: F401

    import studio.media.encode  # noqa: F401

    gc.collect(1)
    gc.freeze()
    log.debug("engine imports warmed")
