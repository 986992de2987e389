"""Memory policy choices for devices of different sizes, the OOM ladder and the user override."""

from __future__ import annotations

import pytest

from studio.engine.memory import POLICIES, DeviceInfo, choose_plan, next_plan
from studio.engine.registry import get_model
from studio.errors import EngineError

LTX2 = get_model("ltx-2")


def gpu(free_gb: float) -> DeviceInfo:
    return DeviceInfo("cuda", "Test GPU", free_gb, free_gb, 64.0, True)


def test_cpu_runs_float32_without_offload():
    plan = choose_plan(LTX2, DeviceInfo("cpu", "CPU", 0, 0, 16, False))
    assert (plan.device, plan.dtype_name, plan.policy) == ("cpu", "float32", "none")
    assert next_plan(plan) is None  # nowhere to offload to


@pytest.mark.parametrize(("free_gb", "policy"), [(80, "none"), (24, "model_offload"), (12, "group_offload"),
                                                 (4, "sequential")])
def test_smaller_gpus_get_more_frugal_policies(free_gb, policy):
    plan = choose_plan(LTX2, gpu(free_gb))
    assert plan.policy == policy and plan.dtype_name == "bfloat16"
    assert plan.vae_tiling == (policy != "none")


def test_out_of_memory_ladder_ends_at_sequential():
    plan = choose_plan(LTX2, gpu(80))
    seen = [plan.policy]
    while (plan := next_plan(plan)) is not None:
        seen.append(plan.policy)
    assert seen == list(POLICIES)


def test_user_override_wins_and_unknown_policy_is_refused(monkeypatch):
    assert choose_plan(LTX2, gpu(80), override="sequential").policy == "sequential"
    monkeypatch.setenv("KINORA_MEMORY_POLICY", "group_offload")
    assert choose_plan(LTX2, gpu(80)).policy == "group_offload"
    with pytest.raises(EngineError, match="Unknown memory policy"):
        choose_plan(LTX2, gpu(80), override="turbo")
