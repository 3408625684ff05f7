"""Reads for the evidence pages (a skill's page gathers four apps: the plan, practice, knowledge and labs)."""

from __future__ import annotations

import math

from knowledge.models import Article
from labs import evidence as lab_evidence
from labs import registry
from practice.models import Exercise, Submission
from tracker.models import Status, Task


def skill_page(user, skill) -> dict:
    """What a skill's page shows beside its level: the tasks done, the exercises solved and some unsolved ones, the
    articles, and the job that represents each lab evidencing the skill (marked `evidence_chosen`)."""
    solved = Exercise.objects.live().filter(
        skills=skill, pk__in=Submission.objects.solved().filter(user=user).values("exercise_id"))
    labs = [lab.slug for lab in registry.labs_evidencing(skill.slug)]
    jobs = []
    for rep in lab_evidence.representatives(user, labs).values():
        rep.job.evidence_chosen = rep.chosen
        jobs.append(rep.job)
    return {
        "tasks_done": Task.objects.live().filter(skills=skill, progress__user=user, progress__status=Status.DONE)
        .select_related("phase"),
        "solved": solved, "jobs": jobs, "labs": labs,
        "articles": Article.objects.live().filter(skills=skill),
        "unsolved": Exercise.objects.live().filter(skills=skill).exclude(pk__in=[e.pk for e in solved])[:5],
    }


QUANT_JOBS_READ = 20  # a runner's latest quant jobs searched for a measured GPU bandwidth


def planner_devices(user) -> list[dict]:
    """The planner's `planner_devices` hook (planner.devices; declared on EvidenceConfig): every runner the learner's
    jobs may use (their own and shared ones), each CUDA GPU it reported and its CPU, with the figures a job page reads
    a job against (evidence.bounds.runner_hardware): a GPU's bandwidth from the learner's latest quant-inference job
    on it that measured one, else its datasheet; the CPU's memory copy and fp32 matmul as the runner measured them at
    start. A device with no bandwidth from either is left out (the planner cannot bound without one)."""
    from labs.models import LabJob
    from labs.services import usable_runners

    from .bounds import runner_hardware

    if not getattr(user, "is_authenticated", False):
        return []
    devices = []
    for runner in usable_runners(user).order_by("name", "id"):
        caps = runner.capabilities if isinstance(runner.capabilities, dict) else {}
        measured = [job.result.get("device_bandwidth") for job in LabJob.objects.filter(
            user=user, runner=runner, lab="quant-inference", status=LabJob.Status.SUCCEEDED,
            result__device="cuda").only("result").order_by("-created_at", "-id")[:QUANT_JOBS_READ]]
        for i, gpu in enumerate(d for d in caps.get("cuda_devices") or [] if isinstance(d, dict)):
            copy = next((m for m in measured if isinstance(m, dict) and m.get("gb_per_s")
                         and m.get("device") in (None, gpu.get("name"))), None)
            found = runner_hardware({"device": "cuda", "device_bandwidth": copy}, {"cuda_devices": [gpu]})
            devices += _device(f"{runner.id}-gpu{i}", runner.name, *found)
        devices += _device(f"{runner.id}-cpu", runner.name, *runner_hardware({"device": "cpu"}, caps))
    return devices


def _device(key: str, runner_name: str, hw, link: dict, bandwidth_line: str, compute_line: str) -> list[dict]:
    if hw is None:
        return []
    device = {"key": key, "name": f"{runner_name} · {hw.name}", "memory_gib": round(hw.memory_gib, 1),
              "bandwidth_gb_s": round(float(hw.bandwidth_gb_s), 1), "source": f"{bandwidth_line} · {compute_line}"}
    if math.isfinite(hw.fp16_tflops):  # unknown compute: the planner's default for a custom GPU applies
        device["fp16_tflops"] = round(hw.fp16_tflops, 3)
    return [device]
