"""Reaching a Ray cluster: a quick probe that says in one line what is wrong, then `ray.init`.

`ray.init` against a wrong address or with a wrong token waits about 20 s and then raises a bare
"Failed to connect"; the probe answers in milliseconds with the reason a user can act on.
"""

from __future__ import annotations

import logging
import socket

from studio.errors import EngineError

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 3.0
LOCAL = "local"  # start a Ray on this computer (development, the benchmark)


def split_address(address: str) -> tuple[str, int]:
    """'host:port' -> (host, port); EngineError for anything else (Ray Client 'ray://' addresses included)."""
    text = address.strip()
    if text.startswith("ray://"):
        raise EngineError(f"'{address}' is a Ray Client address; give the cluster's GCS address instead "
                          "(HOST:6379, what `ray start --head` prints).")
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise EngineError(f"'{address}' is not a Ray cluster address; write HOST:PORT, e.g. 10.0.0.5:6379.")
    return host.strip("[]"), int(port)


def probe(address: str, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Check the head can be reached and accepts this computer's token; EngineError naming what failed."""
    host, port = split_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise EngineError(f"The Ray cluster at {address} cannot be reached ({reason}); check the address and that "
                          "`ray start --head` runs there. The local engine still works.") from None
    try:
        from ray._raylet import GcsClient  # type: ignore[attr-defined]  # Ray's own client of the head; private, so only used to ask early
    except ImportError:
        return
    from ray.exceptions import AuthenticationError

    try:
        GcsClient(address=f"{host}:{port}").internal_kv_keys(b"", None, timeout=timeout)
    except AuthenticationError:
        raise EngineError(f"The Ray cluster at {address} refused this computer's token; set RAY_AUTH_TOKEN (or "
                          "RAY_AUTH_TOKEN_PATH) to the cluster's token (`ray get-auth-token` on the head). "
                          "The local engine still works.") from None
    except Exception as exc:  # anything else: let ray.init say it, with its own words
        log.debug("Ray probe of %s: %r", address, exc)


def connect(address: str, namespace: str) -> bool:
    """Join the cluster at `address` (or start one here for LOCAL); True when this call joined it (False: this
    process had joined it already, and whoever did so leaves it)."""
    try:
        import ray
    except ImportError:
        raise EngineError("Ray is not installed here; install it with `pip install 'ray>=2.59'` to use a "
                          "Ray cluster. The local engine still works.") from None
    if address != LOCAL:
        probe(address)
    if ray.is_initialized():  # one Ray connection per process: fine when it is this cluster
        joined = ray.get_runtime_context().gcs_address
        if address not in (LOCAL, joined):
            raise EngineError(f"This Kinora is already joined to the Ray cluster at {joined}; restart it to use "
                              f"{address}.")
        return False
    try:
        ray.init(address=None if address == LOCAL else address, namespace=namespace, include_dashboard=False,
                 logging_level=logging.WARNING, log_to_driver=False)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EngineError(f"Could not join the Ray cluster at {address}: {first}. The local engine still works.") \
            from exc
    return True
