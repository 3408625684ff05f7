"""Site-wide middleware: the health probe, login by default (except the public pages named here), Chinese
as the default language, and request-size limits per page with a message that names the limit."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy
from django.views.defaults import page_not_found

# "/p/": published portfolios (evidence/portfolio_views.py), readable by anyone who has the unguessable link.
PUBLIC_PREFIXES = ("/accounts/", "/static/", "/admin/", "/i18n/", "/healthz", "/api/runner/", "/metrics", "/p/")


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


def size_text(n_bytes: int) -> str:
    """A byte count as people read limits: "256 KiB", "50 MiB", "10.0 MiB"."""
    for unit, size in (("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            whole, rest = divmod(n_bytes, size)
            return f"{whole} {unit}" if rest == 0 else f"{n_bytes / size:.1f} {unit}"
    return f"{n_bytes} B"


class RequestSizeLimit:
    """Request bodies within the limit set for their page (settings.REQUEST_SIZE_LIMITS, first matching path
    pattern, else REQUEST_SIZE_DEFAULT), checked against Content-Length before anything reads the body; and
    Django's own refusals of a form body (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) answered
    with the limit named instead of a bare 400. A URL whose query string carries NUL (%00, which PostgreSQL
    refuses in any text) is refused here too, once for every page.

    It runs before sessions, language and login, so it renders its own small answer: for htmx a 200 fragment
    (htmx swaps only 2xx, so the message appears where the result would), otherwise a page with 413 (or 400).
    Paths whose limit is None (the runner API, which answers the contract's JSON 413) are passed through."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.table = [(re.compile(pattern), limit) for pattern, limit in settings.REQUEST_SIZE_LIMITS]

    def limit_for(self, path: str) -> int | None:
        for pattern, limit in self.table:
            if pattern.search(path):
                return limit
        return settings.REQUEST_SIZE_DEFAULT

    def __call__(self, request):
        limit = self.limit_for(request.path_info)
        if limit is None:
            return self.get_response(request)
        if "%00" in request.META.get("QUERY_STRING", ""):
            return refusal(request, gettext_lazy("地址里有 NUL 字符（%00），无法处理。"), status=400)
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            # Django reads a body only as long as its Content-Length, so a chunked form would arrive empty (a note
            # saved blank) and skip the size limit above: refused, with the reason, before anything reads it.
            _drain_chunked(request)
            return refusal(request, gettext_lazy("请求体以分块传输（chunked）发送，没有 Content-Length，无法检查大小；"
                                                 "未处理，原有内容保留。"), status=411)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return refusal(request, gettext_lazy("请求的 Content-Length 无效。"), status=400)
        if declared > limit:
            _drain(request, declared)
            message = format_lazy(gettext_lazy("请求大小 {size}，超过此处 {limit} 的上限，未处理。"),
                                  size=size_text(declared), limit=size_text(limit))
            return refusal(request, message, status=413)
        try:
            request.GET  # noqa: B018 - parsed now for the same reason as the form below
        except TooManyFieldsSent:
            message = format_lazy(gettext_lazy("地址参数超过 {limit} 个的上限，未处理。"),
                                  limit=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
            return refusal(request, message, status=400)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            try:
                request.POST  # noqa: B018 - parse now, so Django's own limits answer with a message, not a bare 400
            except RequestDataTooBig:
                message = format_lazy(gettext_lazy("表单数据超过 {limit} 的上限，未处理。"),
                                      limit=size_text(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
                return refusal(request, message, status=413)
            except TooManyFieldsSent:
                message = format_lazy(gettext_lazy("表单字段超过 {limit} 个的上限，未处理。"),
                                      limit=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
                return refusal(request, message, status=413)
            except TooManyFilesSent:
                message = format_lazy(gettext_lazy("上传的文件超过 {limit} 个的上限，未处理。"),
                                      limit=settings.DATA_UPLOAD_MAX_NUMBER_FILES)
                return refusal(request, message, status=413)
        return self.get_response(request)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
DRAIN_MAX_BYTES = 64 * 2**20


def _drain(request, declared: int) -> None:
    """Read and discard a refused body (bounded), so the server does not close the connection on unread
    data: a TCP reset there can make the browser lose the 413 and show a connection error instead."""
    if declared > DRAIN_MAX_BYTES:
        return
    stream = request.META.get("wsgi.input")
    remaining = declared
    try:
        while remaining > 0:
            chunk = stream.read(min(remaining, 64 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)
    except (OSError, AttributeError):  # a client that went away, or no stream: nothing left to protect
        pass


def _drain_chunked(request) -> None:
    """Read and discard a refused chunked body, bounded, where the server ends the stream at the body's end
    (gunicorn says so with wsgi.input_terminated; elsewhere reading could wait on the client forever)."""
    if not request.META.get("wsgi.input_terminated"):
        return
    stream, left = request.META.get("wsgi.input"), DRAIN_MAX_BYTES
    try:
        while left > 0:
            chunk = stream.read(min(left, 64 * 1024))
            if not chunk:
                break
            left -= len(chunk)
    except (OSError, AttributeError, ValueError):  # a client that went away, a malformed chunk: nothing to keep
        pass


class VisitorsSeeTheProductsNotFound:
    """Under DEBUG (`make run`), Django answers a 404 with its debug page, which lists every URL pattern. A
    visitor who is not logged in — someone holding a revoked portfolio link — sees the product's own 404 page
    instead, as with DEBUG=0. JSON answers (the runner API's) are left as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (settings.DEBUG and response.status_code == 404 and not request.user.is_authenticated
                and response.get("Content-Type", "").startswith("text/html")):
            return page_not_found(request, Http404())
        return response


def _language(request) -> str:
    """The language LocaleMiddleware would pick, decided here because this middleware runs before it."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return translation.get_language_from_request(request)
    return settings.LANGUAGE_CODE


def refusal(request, message, *, status: int) -> HttpResponse:
    """The refusal in the caller's language: an htmx fragment (200) or a small page of its own."""
    with translation.override(_language(request)):
        text = str(message)
        if request.headers.get("HX-Request") == "true":
            return HttpResponse(render_to_string("_refused.html", {"message": text}))
        body = render_to_string("request_refused.html", {"message": text, "status": status})
    return HttpResponse(body, status=status)
