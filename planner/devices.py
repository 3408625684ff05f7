"""The learner's own GPUs in the planner's GPU list, with what their runners measured.

The planner may not import labs (they are siblings in the layers), so runners come in through a hook, as task
panels do: an app declares `planner_devices = "module.function"` on its AppConfig; the function takes the
request's user and returns a list of dicts {"key", "name", "memory_gib", "bandwidth_gb_s", "source"} (plus
optionally "fp16_tflops"), read-only. The evidence app declares it (evidence.selectors.planner_devices: every runner
the learner may use, each GPU and its CPU with what the runner and the learner's jobs measured). Without such an app
the list is empty and the page still takes a measured bandwidth through its `bw` / `mem` query parameters.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps

REQUIRED = ("key", "name", "memory_gib", "bandwidth_gb_s")


def measured_devices(user: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for cfg in apps.get_app_configs():
        path = getattr(cfg, "planner_devices", None)
        if not path:
            continue
        module, _dot, name = path.rpartition(".")
        for device in getattr(importlib.import_module(module), name)(user) or []:
            if all(device.get(k) for k in REQUIRED):
                found.append({**device, "key": f"runner-{device['key']}"})
    return found
