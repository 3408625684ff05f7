"""Site-wide middleware: the health probe, login by default (except the public pages named here), and
Chinese as the default language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string

PUBLIC_PREFIXES = ("/accounts/", "/static/", "/admin/", "/i18n/", "/healthz", "/api/runner/")


class HealthCheck:
    """`/healthz`, answered before host validation so a container's own probe (Host: 127.0.0.1) works
    whatever ALLOWED_HOSTS says. It checks what the pages need: the database answers, and a template that
    names static files renders — with DEBUG=0 that needs collectstatic's manifest, whose absence turns
    every page into a 500 while a bare "ok" would still look healthy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != "/healthz":
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            body = render_to_string("healthz.txt")
        except Exception as exc:  # the probe reports any failure instead of raising it
            return HttpResponse(f"unhealthy: {type(exc).__name__}: {exc}\n", status=503, content_type="text/plain")
        return HttpResponse(body, content_type="text/plain")


class LoginRequiredByDefault:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not request.user.is_authenticated and path != "/" and not path.startswith(PUBLIC_PREFIXES):
            if request.htmx:
                # An htmx fragment request cannot follow a redirect into a full page; ask for a reload.
                response = HttpResponse(status=401)
                response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                return response
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class ChineseByDefault:
    """The product's language is zh-hans unless the user picked another with the language switch:
    a browser's Accept-Language alone does not switch it (the plan and the content are Chinese)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META["HTTP_ACCEPT_LANGUAGE"] = settings.LANGUAGE_CODE
        return self.get_response(request)
