"""Measuring: timing and memory (timing), memory bandwidth, NVML telemetry, GPU memory budgets for vLLM and the
serving lab's load generator."""
