"""A real `kinora serve` on a free loopback port, in a thread, for the tests/test_server_*.py files."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openai

from studio.library import Library
from studio.server.catalog import ModelMap
from studio.server.keys import KeyStore
from studio.server.limits import Limits
from studio.server.server import KinoraServer, ServeOptions

# The SDK marks every videos method deprecated (the Sora API shuts down); that is what Kinora replaces.
warnings.filterwarnings("ignore", message="The Sora API is scheduled", category=DeprecationWarning)

MATTE = {"model": "builtin:matte", "seconds": "1", "size": "64x36"}  # the fastest real generation
TINY = {"model": "tiny-random", "seconds": "1", "size": "32x32"}


@contextmanager
def running_server(folder: Path, *, limits: Limits | None = None, keys: KeyStore | None = None,
                   require_keys: bool = False, engine_process: bool = False) -> Iterator[KinoraServer]:
    """A server over a library in `folder` (sora-2 falls back to tiny-random: nothing is installed here).

    The engine runs on a thread here unless `engine_process` (what `kinora serve` does; its start costs seconds).
    """
    lib = Library.open(folder)
    options = ServeOptions(port=0, models=ModelMap(fallback="tiny-random"), limits=limits or Limits(),
                           poll_after_ms=50, require_keys=require_keys, check_every=0.2,
                           engine_process=engine_process)
    server = KinoraServer(lib, options, keys=keys)
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()
        lib.close()


def client(server: KinoraServer, *, strict: bool = True, key: str = "local", retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key, _strict_response_validation=strict,
                         max_retries=retries)


def async_client(server: KinoraServer, *, strict: bool = True) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="local", _strict_response_validation=strict,
                              max_retries=0)
