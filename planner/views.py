"""The planner page: GET only, so any plan is a link (job pages open it prefilled with their settings)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from planner import catalog, hardware, report
from planner.devices import measured_devices
from planner.forms import FIRST_QUESTION, PlanForm, form_data


def planner_url(**params: object) -> str:
    """The planner opened with these inputs (model, gpu, bw, mem, precision, group, kv, context, batch, tp,
    reserve, overhead, engine); the lab pages link here."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return reverse("planner") + (f"?{query}" if query else "")


def planner(request: HttpRequest) -> HttpResponse:
    devices = measured_devices(request.user)
    form = PlanForm(form_data(request.GET), devices=devices)
    result = None
    if form.is_valid() and form.cleaned_data.get("hw"):
        result = report.build(form.cleaned_data["shape"], form.cleaned_data["hw"], form.settings())
    first = not any(k in request.GET for k in PlanForm.base_fields)
    chosen = form.data.get("model")
    model = next((m for m in catalog.models() if m.slug == chosen), None)
    gpu = hardware.BY_SLUG.get(form.data.get("gpu"))
    # the same question under vLLM with its default 0.9 share, beside Qwen's own transformers code
    vllm = None
    if first and result:
        paged = PlanForm(form_data({**FIRST_QUESTION, "engine": "paged", "reserve": "0.9"}))
        if paged.is_valid():
            vllm = report.build(paged.cleaned_data["shape"], paged.cleaned_data["hw"], paged.settings())
    status = 200 if form.is_valid() or not request.GET else 400
    return render(request, "planner/planner.html", {
        "form": form, "r": result, "first": first, "vllm": vllm, "model": model, "gpu": gpu,
        "gpus": hardware.GPUS, "models": catalog.models(), "devices": devices,
    }, status=status)
