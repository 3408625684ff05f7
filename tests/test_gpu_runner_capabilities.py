"""Capability probe and queue choice, checked against what this machine really has (torch's own view of its
version and CUDA devices), so the suite passes on a GPU runner host too; and the bandwidth table used for MBU."""

from __future__ import annotations

import os

import pytest

import labcontract
from gpu_runner.measure.bandwidth import known_bandwidth
from gpu_runner.service.capabilities import choose_queues, probe


@pytest.fixture(scope="module")
def caps() -> dict:
    return probe()


def test_probe_describes_this_cpu_machine_in_the_contract_shape(caps):
    labcontract.validate("heartbeat", {"capabilities": caps})
    assert caps["cpu"]["cores"] == os.cpu_count()
    assert caps["cpu"]["model"]
    assert caps["ram_bytes"] > 1 << 30
    import torch

    assert caps["versions"]["torch"] == torch.__version__
    assert caps["versions"]["g++"] and caps["versions"]["g++"][0].isdigit()
    # .ci/run installs libpcre2-dev and libre2-dev: C++ submissions may link both here.
    assert caps["cpp_regex"] == ["pcre2", "re2"]


def test_the_queues_follow_the_devices_torch_sees(caps):
    import importlib.util

    import torch

    assert len(caps["cuda_devices"]) == (torch.cuda.device_count() if torch.cuda.is_available() else 0)
    assert (caps["versions"]["vllm"] is None) == (importlib.util.find_spec("vllm") is None)
    assert caps["queues"] == choose_queues(caps["cuda_devices"], vllm_ok=caps["versions"]["vllm"] is not None)
    assert caps["queues"][0] == "lab.cpu"


def test_queue_choice_follows_gpu_and_vllm():
    gpu = [{"name": "NVIDIA H200", "memory_bytes": 141 << 30}]
    assert choose_queues([], vllm_ok=True) == ["lab.cpu"]
    assert choose_queues(gpu, vllm_ok=False) == ["lab.cpu", "lab.cuda"]
    assert choose_queues(gpu, vllm_ok=True) == ["lab.cpu", "lab.cuda", "lab.vllm"]


@pytest.mark.parametrize("name, gb_s", [
    ("NVIDIA GeForce RTX 4070 Laptop GPU", 256.0), ("NVIDIA A100-SXM4-80GB", 2039.0), ("NVIDIA H200", 4800.0),
    ("NVIDIA H100 80GB HBM3", 3350.0), ("NVIDIA L40S", 864.0), ("NVIDIA L4", 300.0), ("Some Future GPU", None),
])
def test_decode_ceiling_uses_published_bandwidth_of_known_gpus(name, gb_s):
    assert known_bandwidth(name) == gb_s


def test_driver_version_through_nvml_where_there_is_no_nvidia_smi():
    from gpu_runner.service.capabilities import nvidia_driver, nvml_driver

    class FakeNvml:  # test double: this machine has no NVIDIA driver
        def nvmlInit(self):
            pass

        def nvmlShutdown(self):
            pass

        def nvmlSystemGetDriverVersion(self):
            return b"580.65.06"

    assert nvml_driver(FakeNvml()) == "580.65.06"
    assert nvml_driver() is None  # the real NVML here: no driver
    assert nvidia_driver() is None
