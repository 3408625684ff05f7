"""Lab pages: catalogue, a schema-driven form per lab (labs/forms.py), job pages with live progress, two jobs
side by side, runner management."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

import labcontract

from . import evidence, forms, registry, selectors, services
from .charts import history_chart
from .compare import comparison
from .models import LabJob, Runner


def broker_hint() -> dict:
    """Which broker URL a runner needs: the site's own, with any password hidden. `make run`'s default broker is a
    SQLite file on this machine, which only a runner on the same machine can use."""
    from urllib.parse import urlsplit

    from django.conf import settings

    url = settings.CELERY_BROKER_URL
    parts = urlsplit(url)
    local = parts.scheme.startswith("sqla") or parts.scheme in ("memory", "filesystem")
    if parts.password:
        url = url.replace(f":{parts.password}@", ":***@", 1)
    return {"local": local, "url": url, "scheme": parts.scheme}


def lab_catalogue(request: HttpRequest) -> HttpResponse:
    context = {
        "labs": list(registry.LABS.values()),
        "jobs": selectors.recent_jobs(request.user),
        "runners": selectors.runners_of(request.user),
        "broker": broker_hint(),
    }
    return render(request, "labs/labs.html", context)


def lab_new(request: HttpRequest, lab: str) -> HttpResponse:
    entry = registry.get(lab)
    if entry is None or lab not in labcontract.LABS:
        raise Http404(_("没有这个实验。"))
    error, error_field = "", ""
    if request.method == "POST":
        queue = request.POST.get("queue", entry.queues[0])
        try:
            forms.refuse_nul(request.POST)
            params = forms.cpp_params(request) if entry.upload else forms.params_from_form(lab, request.POST,
                                                                                             request.FILES)
            job = services.job_create(user=request.user, lab=lab, queue=queue, params=params)
        except (labcontract.ContractError, ValueError) as exc:
            error_field, error = forms.field_message(entry, exc)
        else:
            return redirect("lab_job", pk=job.pk)
    typed = request.POST if error else None
    if typed is None and not entry.upload and set(request.GET) & forms.field_names(lab):
        typed = request.GET  # a "try next" link (labs/explain.py): the form prefilled with the suggested change
    queue = typed.get("queue") if typed else None
    fields = [] if entry.upload else forms.fields(entry, typed)
    for field in fields:
        if field["name"] == error_field:
            field["error"] = error
    if typed is None:
        forms.untick_unservable(fields, selectors.usable_queues(request.user))
    context = {"lab": entry, "fields": fields, "error": error, "error_at_field": bool(error_field),
               "queue": queue if queue in entry.queues else entry.queues[0],
               "intro": entry.intro() if entry.intro else None, "error_field": error_field,
               "models": services.runner_models(request.user, entry.queues) if services._model_field(lab) else None}
    return render(request, "labs/lab_new.html", context)


def lab_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_of(request.user, pk)
    template = "labs/_lab_job_live.html" if request.htmx else "labs/lab_job.html"
    context = {"job": job, "waiting": services.waiting_reason(job), "title": registry.title(job.lab),
               "timing": services.job_timing(job)}
    if not request.htmx:  # the live fragment polls every 2 s: history stays out of it
        context["previous"] = selectors.succeeded_of_lab(request.user, job.lab).exclude(pk=pk)[:10]
        lab = registry.get(job.lab)
        context["history"] = history_chart(lab.headline, selectors.history(request.user, job.lab)) if lab else None
        context["history_json"] = json.dumps(context["history"], ensure_ascii=False) if context["history"] else ""
        context["evidence"] = evidence.representatives(request.user, [job.lab]).get(job.lab)
        context["choosable"] = evidence.choosable(job)
    return render(request, template, context)


def lab_compare(request: HttpRequest) -> HttpResponse:
    """Two of the learner's jobs of one lab side by side: headline figures with difference and ratio, and the
    parameters and runner system info that differ."""
    try:
        pks = [int(request.GET.get(key, "")) for key in ("a", "b")]
    except ValueError:
        raise Http404(_("对比需要两个任务编号 a 和 b。")) from None
    jobs = [selectors.job_of(request.user, pk) for pk in pks]
    if jobs[0].lab != jobs[1].lab:
        message = _("#%(a)s 与 #%(b)s 是不同的实验（%(lab_a)s、%(lab_b)s），不能并排对比。") % {
            "a": jobs[0].pk, "b": jobs[1].pk, "lab_a": registry.title(jobs[0].lab),
            "lab_b": registry.title(jobs[1].lab)}
        return render(request, "labs/lab_compare.html", {"jobs": jobs, "refused": message}, status=400)
    context = {"jobs": jobs, "title": registry.title(jobs[0].lab),
               **comparison(*jobs, registry.headline, registry.get(jobs[0].lab))}
    return render(request, "labs/lab_compare.html", context)


@require_POST
def lab_job_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose this job as the lab's evidence (dashboard, skill pages, portfolio), or go back to the default."""
    job = get_object_or_404(LabJob, pk=pk, user=request.user)
    if request.POST.get("action") == "default":
        evidence.unchoose(request.user, job.lab)
        messages.success(request, _("这个实验的代表结果改回默认：最好的有效任务。"))
    elif evidence.choose(request.user, job):
        messages.success(request,
                         _("#%(pk)s 现在是这个实验的代表结果（仪表盘、技能页和作品集都用它）。") % {"pk": job.pk})
    else:
        messages.error(request, _("只有成功且测到了结果的任务才能作为代表结果。"))
    return redirect("lab_job", pk=pk)


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
    return render(request, "labs/runner_token.html", {"runner": runner, "token": token, "broker": broker_hint()})


@require_POST
def runner_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    runner = get_object_or_404(Runner, pk=pk, owner=request.user)
    services.runner_revoke(runner=runner)
    messages.success(request, _("runner 已吊销。"))
    return redirect("labs")
