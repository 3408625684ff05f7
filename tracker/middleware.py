"""Every page needs login except the public ones named here (landing, auth pages, health, runner API)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import resolve_url

PUBLIC_PREFIXES = ("/accounts/", "/static/", "/admin/", "/i18n/", "/healthz", "/api/runner/")


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
