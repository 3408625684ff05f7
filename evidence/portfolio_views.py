"""The public portfolio: its settings page (publish, new link, revoke — POST forms, CSRF-protected like every
form) and the read-only page at /p/<token>/, served without login (core/middleware.py PUBLIC_PREFIXES)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from tracker.models import Profile

from . import portfolio


def portfolio_settings(request: HttpRequest) -> HttpResponse:
    profile, _created = Profile.objects.get_or_create(user=request.user)
    token = profile.portfolio_token
    url = request.build_absolute_uri(reverse("portfolio_public", args=[token])) if token else ""
    return render(request, "evidence/portfolio_settings.html", {"profile": profile, "public_url": url})


@require_POST
def portfolio_publish(request: HttpRequest) -> HttpResponse:
    profile, _created = Profile.objects.get_or_create(user=request.user)
    was_public = bool(profile.portfolio_token)
    profile.publish_portfolio()
    messages.success(request, _("已生成新链接，旧链接已失效。") if was_public else _("档案已公开。"))
    return redirect("portfolio_settings")


@require_POST
def portfolio_revoke(request: HttpRequest) -> HttpResponse:
    profile, _created = Profile.objects.get_or_create(user=request.user)
    profile.revoke_portfolio()
    messages.success(request, _("档案已撤回，链接不再可用。"))
    return redirect("portfolio_settings")


@never_cache  # a revoked link must stop showing at once, not from a cache
@require_safe
def portfolio_public(request: HttpRequest, token: str) -> HttpResponse:
    profile = portfolio.owner_of(token)
    if profile is None:
        raise Http404
    response = render(request, "evidence/portfolio.html", {"p": portfolio.portfolio(profile)})
    response["X-Robots-Tag"] = "noindex"
    # The token never travels to another site in a Referer. (no-referrer would be stricter, but under it browsers
    # send "Origin: null" with the page's own POST forms — language switch, logout — and CSRF refuses them.)
    response["Referrer-Policy"] = "same-origin"
    return response
