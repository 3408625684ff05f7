"""Lab pages: catalogue, a schema-driven form per lab, job pages with live progress, runner management."""

from __future__ import annotations

import base64
import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

import labcontract
from core.middleware import size_text

from . import registry, services
from .models import LabJob, Runner
from .results import history_chart

HISTORY_JOBS = 30  # the job page's chart: the user's latest succeeded jobs of the lab

def lab_catalogue(request: HttpRequest) -> HttpResponse:
    jobs = LabJob.objects.filter(user=request.user).select_related("runner")[:50]
    context = {
        "labs": list(registry.LABS.values()),
        "jobs": jobs,
        "runners": Runner.objects.filter(owner=request.user),
    }
    return render(request, "labs/labs.html", context)


def _params_from_form(lab: str, post) -> dict:
    """Turn the schema-driven form back into params; only fields present in the schema are read."""
    schema = labcontract.LAB_PARAMS[lab]["properties"]
    params: dict = {}
    for name, spec in schema.items():
        if spec.get("type") == "array" and "enum" in spec.get("items", {}):
            params[name] = post.getlist(name)
        elif name in post and post[name] != "":
            kind = spec.get("type")
            kinds = kind if isinstance(kind, list) else [kind]
            raw = post[name]
            if "integer" in kinds or "number" in kinds:
                try:
                    params[name] = int(raw) if "integer" in kinds else float(raw)
                except ValueError:
                    params[name] = raw  # the schema reports it with the field's name
            elif "array" in kinds:
                params[name] = [line for line in raw.splitlines() if line.strip()]
            else:
                params[name] = raw
    return params


class LabFormRefused(ValueError):
    """The lab form's input cannot become a job; the message names the field. Nothing was created."""


def _refuse_nul(post) -> None:
    """PostgreSQL stores params as jsonb, which refuses NUL in any string: say which field has one."""
    for name, values in post.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise LabFormRefused(_("字段 %(field)s 里有 NUL 字符（\\0），无法保存，请删除它。")
                                 % {"field": name.replace("\x00", "\\0")})


def _cpp_params(request: HttpRequest) -> dict:
    limit = labcontract.CPP_SOURCE_MAX_BYTES
    upload = request.FILES.get("archive")
    if upload:
        if upload.size > limit:
            raise LabFormRefused(_("压缩包过大：%(size)s，上限 %(limit)s。")
                                 % {"size": size_text(upload.size), "limit": size_text(limit)})
        return {"archive_b64": base64.b64encode(upload.read()).decode()}
    source = request.POST.get("source", "")
    size = len(source.encode("utf-8"))
    if size > limit:
        raise LabFormRefused(_("源码过大：%(size)s，上限 %(limit)s。")
                             % {"size": size_text(size), "limit": size_text(limit)})
    return {"files": {"tokenizer.cpp": source}}


def _fields(lab: registry.Lab) -> list[dict]:
    fields = []
    for name, spec in labcontract.LAB_PARAMS[lab.slug]["properties"].items():
        field = {"name": name, "label": lab.label(name), "default": spec.get("default"), "spec": spec}
        if spec.get("type") == "array" and "enum" in spec.get("items", {}):
            field["widget"] = "checkboxes"
            field["choices"] = spec["items"]["enum"]
        elif "enum" in spec:
            field["widget"] = "select"
            field["choices"] = spec["enum"]
        elif spec.get("type") == "array":
            field["widget"] = "lines"
        elif spec.get("type") == "object":
            continue
        else:
            field["widget"] = "number" if "integer" in str(spec.get("type")) else "text"
        fields.append(field)
    return fields


def lab_new(request: HttpRequest, lab: str) -> HttpResponse:
    entry = registry.get(lab)
    if entry is None or lab not in labcontract.LABS:
        raise Http404(_("没有这个实验。"))
    error = ""
    if request.method == "POST":
        queue = request.POST.get("queue", entry.queues[0])
        try:
            _refuse_nul(request.POST)
            params = _cpp_params(request) if entry.upload else _params_from_form(lab, request.POST)
            job = services.job_create(user=request.user, lab=lab, queue=queue, params=params)
        except (labcontract.ContractError, ValueError) as exc:
            error = str(exc)
        else:
            return redirect("lab_job", pk=job.pk)
    context = {"lab": entry, "fields": [] if entry.upload else _fields(entry), "error": error}
    return render(request, "labs/lab_new.html", context)


def lab_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(LabJob.objects.select_related("runner"), pk=pk, user=request.user)
    template = "labs/_lab_job_live.html" if request.htmx else "labs/lab_job.html"
    context = {"job": job, "waiting": services.waiting_reason(job), "title": registry.title(job.lab)}
    if not request.htmx:  # the live fragment polls every 2 s: history stays out of it
        done = LabJob.objects.filter(user=request.user, lab=job.lab, status=LabJob.Status.SUCCEEDED)
        context["previous"] = done.exclude(pk=pk)[:10]
        recent = list(done.only("id", "lab", "result", "created_at").order_by("-created_at", "-id")[:HISTORY_JOBS])
        lab = registry.get(job.lab)
        context["history"] = history_chart(lab.headline, reversed(recent)) if lab else None
        context["history_json"] = json.dumps(context["history"], ensure_ascii=False) if context["history"] else ""
    return render(request, template, context)


@require_POST
def lab_job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(LabJob, pk=pk, user=request.user)
    if services.job_cancel(user=request.user, job=job):
        messages.success(request, _("任务已取消。"))
    return redirect("lab_job", pk=pk)


@require_POST
def runner_create(request: HttpRequest) -> HttpResponse:
    name = (request.POST.get("name") or "").strip()[:80] or _("我的 GPU")
    if "\x00" in name:
        messages.error(request, _("runner 名称里有 NUL 字符（\\0），未创建。"))
        return redirect("labs")
    runner, token = Runner.create_with_token(owner=request.user, name=name)
    # The token is shown once, on this response only; the database keeps its hash.
    return render(request, "labs/runner_token.html", {"runner": runner, "token": token})


@require_POST
def runner_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    runner = get_object_or_404(Runner, pk=pk, owner=request.user)
    services.runner_revoke(runner=runner)
    messages.success(request, _("runner 已吊销。"))
    return redirect("labs")
