"""HTTP client for the site's runner API (labcontract): Bearer token, timeouts, retries on network errors."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests

import labcontract

log = logging.getLogger(__name__)


class SiteError(Exception):
    """The site answered with an error status that retrying will not fix."""

    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class Conflict(SiteError):
    """409: the job or attempt no longer accepts this call (cancelled, finished, superseded)."""


class Redirected(SiteError):
    """The site answered the runner API with a redirect (a site with DEPLOYDOJO_HTTPS=1 older than its runner API's
    exemption, or a proxy): following it would turn the POST into a GET, and an https:// target on the plain
    port never answers, so the runner would retry forever without saying why. Final, with the target named."""

    def __init__(self, status: int, location: str):
        target = location or "(no Location header)"
        if location.startswith("https://"):
            what = (f"site redirects the runner API to {target}; give the runner that URL (--site-url / "
                    f"DEPLOYDOJO_SITE_URL with https://) or, on the site's private network, run a site whose runner "
                    f"API is exempt from DEPLOYDOJO_HTTPS's redirect")
        else:
            what = f"site redirects the runner API to {target}; give the runner that URL (--site-url / " \
                   f"DEPLOYDOJO_SITE_URL)"
        super().__init__(status, what)
        self.location = location


class SiteClient:
    """Posts the runner API calls for one runner token.

    Connection errors, timeouts and 5xx answers are retried with exponential backoff; any 4xx
    is final (409 raises Conflict, others SiteError) because repeating it cannot succeed; so is a redirect
    (Redirected names its target: never followed, never retried blindly).
    """

    def __init__(self, site_url: str, token: str, *, timeout_s: float = 30.0, retries: int = 5,
                 backoff_s: float = 1.0, session: requests.Session | None = None):
        self.base = site_url.rstrip("/") + labcontract.API_PREFIX
        self.timeout = (min(10.0, timeout_s), timeout_s)
        self.retries = retries
        self.backoff_s = backoff_s
        self.session = session or requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/json"})

    def _post(self, path: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        labcontract.validate(kind, body)  # a bad body is our bug: fail loudly before the site must
        data = json.dumps(body)
        if len(data.encode()) > labcontract.MAX_BODY_BYTES:
            raise ValueError(f"{kind} body is {len(data.encode())} bytes, over {labcontract.MAX_BODY_BYTES}")
        url = self.base + path
        for attempt in range(self.retries + 1):
            try:
                resp = self.session.post(url, data=data, timeout=self.timeout, allow_redirects=False)
            except (requests.ConnectionError, requests.Timeout) as exc:
                error: str = repr(exc)
            else:
                if resp.is_redirect:
                    redirected = Redirected(resp.status_code, resp.headers.get("Location", ""))
                    log.error("POST %s: %s", url, redirected)
                    raise redirected
                if resp.status_code < 400:
                    return resp.json() if resp.content else {}
                message = _error_text(resp)
                if resp.status_code == 409:
                    raise Conflict(409, message)
                if resp.status_code < 500:
                    raise SiteError(resp.status_code, message)
                error = f"HTTP {resp.status_code}: {message}"
            if attempt == self.retries:
                raise ConnectionError(f"POST {url} failed after {self.retries + 1} tries: {error}")
            delay = self.backoff_s * 2 ** attempt
            log.warning("POST %s failed (%s); retrying in %.1f s", url, error, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")

    def heartbeat(self, capabilities: dict[str, Any], running_jobs: list[int] | None = None,
                  boot_id: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {"capabilities": capabilities}
        if running_jobs is not None:
            body["running_jobs"] = running_jobs  # the site fails or re-queues jobs it thinks we hold but we don't
        if boot_id:
            body["boot_id"] = boot_id
        return self._post("heartbeat", "heartbeat", body)

    def start(self, job_id: int, attempt: int, system_info: dict[str, Any]) -> dict[str, Any]:
        return self._post(f"jobs/{job_id}/start", "start", {"attempt": attempt, "system_info": system_info})

    def progress(self, job_id: int, attempt: int, progress: int, stage: str, log_tail: str = "") -> bool:
        """Post progress; returns True when the site says the job was cancelled."""
        body = {"attempt": attempt, "progress": max(0, min(100, int(progress))), "stage": stage[:200],
                "log_tail": clip_log(log_tail)}
        return bool(self._post(f"jobs/{job_id}/progress", "progress", body).get("cancelled", False))

    def result(self, job_id: int, attempt: int, result: dict[str, Any], log_tail: str = "") -> dict[str, Any]:
        body = {"attempt": attempt, "result": result, "log_tail": clip_log(log_tail)}
        if len(json.dumps(body).encode()) > labcontract.MAX_BODY_BYTES:
            body["log_tail"] = ""  # the figures matter more than the log
        return self._post(f"jobs/{job_id}/result", "result", body)

    def failure(self, job_id: int, attempt: int, error: str, log_tail: str = "") -> dict[str, Any]:
        body = {"attempt": attempt, "error": error[-4000:], "log_tail": clip_log(log_tail)}
        return self._post(f"jobs/{job_id}/failure", "failure", body)


def clip_log(text: str, limit: int = 20000) -> str:
    """Keep the end of a log: the last lines say what went wrong."""
    return text if len(text) <= limit else text[-limit:]


def _error_text(resp: requests.Response) -> str:
    try:
        return str(resp.json().get("error", resp.text[:500]))
    except ValueError:
        return resp.text[:500]
