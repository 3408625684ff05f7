"""Flags every page shows: the judge's development override banner."""

from django.conf import settings


def site_flags(request) -> dict:
    return {"judge_unsandboxed": settings.JUDGE_UNSAFE_NO_SANDBOX}
