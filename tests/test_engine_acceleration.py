"""Speed settings: the attention kernel chosen for the card, torch.compile only when asked for, and backends
declared once in the registry."""

from __future__ import annotations

import importlib.util

import pytest

from studio.engine.backends import acceleration, backend_class


def test_attention_backend_follows_the_card_and_what_is_installed(monkeypatch):
    installed: set[str] = set()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object() if name in installed else None)
    assert acceleration.attention_backend("cpu", None) is None  # SDPA is all the CPU has
    assert acceleration.attention_backend("cuda", (9, 0)) is None  # no flash package: SDPA picks its kernel
    installed.add("flash_attn")
    assert acceleration.attention_backend("cuda", (8, 6)) == "flash"
    assert acceleration.attention_backend("cuda", (7, 5)) is None  # FlashAttention needs Ampere or newer
    installed.add("flash_attn_interface")
    assert acceleration.attention_backend("cuda", (9, 0)) == "_flash_3"  # Hopper gets FlashAttention 3


@pytest.mark.parametrize("value, wanted", [("", False), ("0", False), ("1", True), ("yes", True)])
def test_torch_compile_is_opt_in(monkeypatch, value, wanted):
    monkeypatch.setenv(acceleration.COMPILE_ENV, value)
    assert acceleration.compile_requested() is wanted


def test_backends_declare_family_and_modes_once():
    ltx2 = backend_class("ltx2")
    assert ltx2 is not None and ltx2.family == "ltx2"
    assert set(ltx2.modes) == {"text", "image", "keyframes", "extend", "video", "retake"}
    assert set(backend_class("wan").modes) == {"text", "image", "extend", "reference"}  # reference: VACE (cameos)
    assert set(backend_class("builtin").modes) == {"text"}
    assert backend_class("audio") is None  # a soundtrack model makes no video on its own
