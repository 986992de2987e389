"""One CancelToken for generation and export: the Cancelled it raises says what stopped and why."""

from __future__ import annotations

import threading

import pytest

from studio.cancel import CancelToken
from studio.errors import Cancelled, KinoraError


def test_an_untouched_token_lets_the_work_go_on():
    token = CancelToken("export")
    token.raise_if_cancelled()
    assert not token.cancelled and token.reason == "canceled"


def test_cancel_from_another_thread_raises_a_kinora_error_naming_the_work():
    token = CancelToken("export")
    thread = threading.Thread(target=token.cancel)
    thread.start()
    thread.join()
    assert token.cancelled
    with pytest.raises(Cancelled, match=r"^Export canceled\.$") as caught:
        token.raise_if_cancelled()
    assert isinstance(caught.value, KinoraError) and caught.value.reason == "canceled"


def test_a_pause_carries_its_reason():
    token = CancelToken("generation")
    token.cancel("paused")
    with pytest.raises(Cancelled, match=r"^Generation paused\.$") as caught:
        token.raise_if_cancelled()
    assert caught.value.reason == "paused" and token.reason == "paused"
