"""Evidence pages: the dashboard (plan progress beside the skills it evidences), a skill's evidence page, and
the record's export and import."""

from __future__ import annotations

import json
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from knowledge import reviews
from tracker.models import Skill

from . import selectors, transfer
from .dashboard import dashboard_context
from .forms import ImportForm
from .skills import skill_levels


def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "evidence/dashboard.html", dashboard_context(request.user))


def skill_detail(request: HttpRequest, slug: str) -> HttpResponse:
    skill = get_object_or_404(Skill.objects.live(), slug=slug)
    level = next(lvl for lvl in skill_levels(request.user) if lvl.skill.id == skill.id)
    level.readiness = reviews.readiness_by_skill(request.user).get(skill.id, 0)
    context = {"skill": skill, "level": level, **selectors.skill_page(request.user, skill)}
    return render(request, "evidence/skill.html", context)



def record_export(request: HttpRequest) -> HttpResponse:
    data = transfer.export_record(request.user)
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=1), content_type="application/json")
    response["Content-Disposition"] = _attachment(f"deploydojo-{request.user.username}-{timezone.localdate()}.json")
    return response


def _attachment(filename: str) -> str:
    """Content-Disposition for a download whose name may not be ASCII (a Chinese username): RFC 6266 with the
    RFC 5987 `filename*` for the real name and a plain ASCII `filename` for clients that do not read it."""
    if filename.isascii():
        return content_disposition_header(True, filename)
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"{content_disposition_header(True, fallback)}; filename*=UTF-8''{quote(filename, safe='')}"


def record_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            data = transfer.read_upload(form.cleaned_data["file"])
            report = transfer.import_record(request.user, data)
        except transfer.RecordError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, _("导入完成：新增 %(n)d 条记录。") % {"n": report.added})
    return render(request, "evidence/record.html", {"form": form, "report": report})
