"""The published-bandwidth table behind the decode ceiling and MBU: names as torch reports them match the
right part, and look-alike names (laptop parts, RTX A1000, T400) never borrow another part's figure."""

from __future__ import annotations

import pytest

from gpu_runner.measure.bandwidth import KNOWN_GPUS, known_bandwidth, lookup, name_tokens


@pytest.mark.parametrize("name, gb_s", [
    ("NVIDIA H200", 4800.0),
    ("NVIDIA H200 NVL", 4800.0),
    ("NVIDIA A100-SXM4-40GB", 1555.0),
    ("NVIDIA A100-PCIE-40GB", 1555.0),
    ("NVIDIA A100-SXM4-80GB", 2039.0),
    ("NVIDIA A100 80GB PCIe", 1935.0),
    ("NVIDIA H100 80GB HBM3", 3350.0),
    ("NVIDIA H100 PCIe", 2000.0),
    ("NVIDIA H100 NVL", 3900.0),
    ("NVIDIA L4", 300.0),
    ("NVIDIA L40S", 864.0),
    ("Tesla T4", 320.0),
    ("NVIDIA A10G", 600.0),
    ("NVIDIA GeForce RTX 4070 Laptop GPU", 256.0),
    ("NVIDIA GeForce RTX 4090", 1008.0),
    ("NVIDIA GeForce RTX 4090 Laptop GPU", 576.0),
])
def test_known_parts_get_their_datasheet_figure(name, gb_s):
    assert known_bandwidth(name) == gb_s


@pytest.mark.parametrize("name", [
    "NVIDIA RTX A1000",           # not an A100
    "NVIDIA T400 4GB",            # not a T4
    "NVIDIA GeForce RTX 4070",    # desktop 4070: not in the table, and never the laptop figure
    "NVIDIA A100",                # memory size unknown: 40 GB and 80 GB parts differ
    "NVIDIA H100",                # SXM or PCIe unknown
    "NVIDIA GH200 480GB",         # not an H200
    "Some Future GPU",
])
def test_lookalike_or_ambiguous_names_are_measured_instead(name):
    assert known_bandwidth(name) is None


def test_laptop_part_never_gets_the_desktop_figure():
    assert known_bandwidth("NVIDIA GeForce RTX 4090 Laptop GPU") != known_bandwidth("NVIDIA GeForce RTX 4090")
    assert known_bandwidth("NVIDIA GeForce RTX 4080 Max-Q") is None  # no Max-Q entry; the desktop one refuses it


def test_tokens_are_split_on_punctuation():
    assert name_tokens("NVIDIA A100-SXM4-40GB") == {"nvidia", "a100", "sxm4", "40gb"}


def test_every_entry_cites_a_public_source_and_entries_are_unique():
    assert all(g.source and g.gb_per_s > 0 for g in KNOWN_GPUS)
    assert len({g.needs for g in KNOWN_GPUS}) == len(KNOWN_GPUS)
    assert "datasheet" in lookup("NVIDIA H200").source
