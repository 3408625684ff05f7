"""Run one untrusted command in a throw-away bubblewrap sandbox and report what happened.

Threat model: the command is hostile. It may fork- or thread-bomb, allocate without bound, spin,
sleep forever, flood its output, fill the disk, leave daemons behind, try the network (the site's
PostgreSQL and Redis listen on 127.0.0.1), read the project's files, other submissions' files or
the caller's environment, or signal the caller. The caller (the Django site, a Celery worker, the
GPU runner) must survive every one of these and get an ``Outcome`` back; nothing may persist
from one run to the next. Kernel exploits are out of scope (no seccomp filter here).

What is enforced where:

* bubblewrap (namespaces): ``--unshare-all`` gives a private network namespace (its loopback is
  not the host's, so 127.0.0.1:5432/6379 are closed and nothing else is routable), a private PID
  namespace (the caller is invisible and unkillable; when the sandbox's init dies the kernel kills
  every process left in it, so double-forked daemons die with the run), and private IPC/UTS/user
  namespaces. The filesystem is only read-only ``/usr`` (with ``/usr/local`` masked: site-local
  installs and admin config such as npmrc tokens live there), the usr-merge symlinks, a handful of
  non-secret ``/etc`` files, a fresh ``/proc`` and minimal ``/dev``, and two size-capped tmpfs:
  ``/tmp`` and the work dir ``/work`` — the only writable places: the root, ``/etc``, ``/dev``
  (``/dev/shm`` included) and the ``/usr/local`` mask are remounted read-only once the mounts are in
  place. We never bind all of ``/etc``: it holds service configs,
  ``/etc/environment`` and credentials that submissions have no business reading; Python and the
  dynamic linker need only ``ld.so.cache`` and ``alternatives``, and ``passwd``/``group`` are
  synthesised so that nothing about the host's accounts leaks. ``/work`` being a tmpfs (not a host
  directory) means the disk cannot be filled, nothing survives the run, and there is no host-side
  directory for a symlink trick (CVE-2024-28185 style) to point at.
* Environment: bwrap itself is started with a minimal environment (bwrap's own init, used when
  ``--as-pid-1`` is absent, is a fork of bwrap whose ``/proc/1/environ`` is readable inside; we
  measured the caller's secrets leaking that way), and ``--clearenv`` gives the command only PATH,
  HOME=/work, LANG and what the caller passes. The command runs as the namespace's PID 1
  (``--as-pid-1``) so that bwrap reaps it and ``wait4`` reports its CPU time and peak RSS.
* rlimits (set on bwrap, inherited by everything inside): CPU seconds per process (soft == hard, so
  SIGKILL: PID 1 ignores SIGXCPU), address space,
  process count, file size, open files. RLIMIT_NPROC counts per real uid and root is exempt, so
  when we run as root each run drops to its own random unprivileged uid (2e9 + random) before
  starting bwrap: the count then covers exactly this run's processes, the host uid cannot touch
  anything that is not world-readable, and a final ``kill -9 -1`` as that uid sweeps any leftover.
  When the caller is not root the count is shared with the caller's own processes (the kernel's
  per-user-namespace counting still checks the parent uid), so run the judge as root or as a
  dedicated user.
* This module: a wall-clock deadline that SIGKILLs bwrap's process group (the sandbox dies with it
  through ``--die-with-parent`` and the PID namespace), stdout/stderr read concurrently with a
  byte cap (exceeding it kills the run: ``output_truncated``), CPU time and peak RSS from
  ``wait4``. Every failure of the command becomes a field of ``Outcome``; ``run`` never raises
  because of what the command did.

Known limits: tmpfs counts bytes in pages, so many small files still stop at the cap, but empty files and
directories use no pages — only kernel memory for their inodes, bounded by what the CPU and wall limits let a run
create and freed when the run ends (bwrap cannot set ``nr_inodes``; measured: 319,000 empty files in 4 CPU
seconds); no cgroup (it is not delegated everywhere the judge runs), so CPU is capped per process and the whole
run by the wall clock; a command exiting with 128+N is reported as killed by
signal N (bwrap reports signals that way); ``cpu_s`` counts processes that were waited for.
"""

from __future__ import annotations

import functools
import os
import re
import resource
import secrets
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

BWRAP = "/usr/bin/bwrap"
INSTALL_HINT = (
    "Install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`) and allow user namespaces "
    "(sysctl user.max_user_namespaces > 0; on Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0 "
    "or an AppArmor profile for bwrap)."
)
# Per-run uids come from a range no distribution allocates (useradd stops far below 2**31).
_UID_BASE = 2_000_000_000
_UID_SPAN = 100_000_000
_KEEP_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime")
_PASSWD = "sandbox:x:{uid}:{uid}:sandbox:/work:/bin/sh\n"
_GROUP = "sandbox:x:{uid}:\n"


STACK_BYTES = 256 << 20

@dataclass
class Limits:
    cpu_s: float = 5.0
    wall_s: float = 10.0
    memory_mb: int = 256
    procs: int = 64
    file_mb: int = 16
    open_files: int = 64
    output_bytes: int = 1 << 20
    # Size of each of the /work and /tmp tmpfs; their pages are host RAM not covered by RLIMIT_AS.
    disk_mb: int = 64
    # Cap for stdout alone when the caller uses stdout as a data channel; None: output_bytes.
    stdout_bytes: int | None = None


@dataclass
class Outcome:
    returncode: int | None
    stdout: bytes
    stderr: bytes
    wall_s: float
    cpu_s: float
    max_rss_kb: int
    timed_out: bool
    output_truncated: bool
    signal: int | None
    files: dict[str, bytes] = field(default_factory=dict)
    # Which stream hit its cap ("stdout" or "stderr") when output_truncated.
    truncated_stream: str | None = None
    # Why the sandbox could not even start (bad arguments, bwrap missing); None when it ran.
    error: str | None = None


@functools.lru_cache(maxsize=1)
def available() -> tuple[bool, str]:
    """Whether bwrap exists and can create the namespaces we need; the reason (with how to fix) if not."""
    if not os.path.exists(BWRAP):
        return False, f"bubblewrap not found at {BWRAP}. {INSTALL_HINT}"
    out = run(["/bin/true"], limits=Limits(cpu_s=2, wall_s=10))
    if out.error or out.returncode != 0:
        detail = (out.error or out.stderr.decode("utf-8", "replace")).strip()[:300]
        return False, f"bubblewrap cannot create a sandbox here ({detail}). {INSTALL_HINT}"
    return True, "bubblewrap sandbox is available"


def run(
    argv: list[str],
    *,
    limits: Limits,
    stdin: bytes = b"",
    files: dict[str, bytes | tuple[bytes, int]] | None = None,
    ro_binds: list[tuple[str, str]] | None = None,
    keep: list[str] | None = None,
    env: dict[str, str] | None = None,
    dev_binds: list[str] | None = None,
) -> Outcome:
    """Run argv inside a fresh sandbox with /work holding ``files``; read back ``keep`` files from /work.
    ``dev_binds``: device nodes (a GPU's /dev/nvidia*) made usable inside; the network stays unshared."""
    return _execute(
        argv,
        limits=limits,
        stdin=stdin,
        files=files or {},
        ro_binds=[*(ro_binds or []), *((d, d, "dev") for d in dev_binds or [])],
        keep=keep or [],
        env=env or {},
        confined=True,
    )


def run_unconfined(
    argv: list[str],
    *,
    limits: Limits,
    stdin: bytes = b"",
    files: dict[str, bytes | tuple[bytes, int]] | None = None,
    keep: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Development fallback without namespaces: same rlimits, timeout and caps, cwd a temp dir. NOT isolation."""
    return _execute(
        argv, limits=limits, stdin=stdin, files=files or {}, ro_binds=[], keep=keep or [], env=env or {}, confined=False
    )


def _failed(message: str) -> Outcome:
    return Outcome(None, b"", b"", 0.0, 0.0, 0, False, False, None, {}, None, message)


def _base_env(env: dict[str, str]) -> dict[str, str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": "/work", "LANG": "C.UTF-8"}
    base.update(env)
    return base


def _preexec(limits: Limits) -> Callable[[], None]:
    cpu = max(1, int(limits.cpu_s + 0.999))
    settings = [
        # soft == hard: the command is PID 1 of its namespace, where SIGXCPU's default action is
        # ignored, so the limit must be the SIGKILL one.
        (resource.RLIMIT_CPU, (cpu, cpu)),
        (resource.RLIMIT_AS, (limits.memory_mb << 20,) * 2),
        (resource.RLIMIT_NPROC, (limits.procs,) * 2),
        (resource.RLIMIT_FSIZE, (limits.file_mb << 20,) * 2),
        (resource.RLIMIT_NOFILE, (limits.open_files,) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
        # A deep but legitimate recursion (memoised DP over 10^4 states) needs more than 8 MiB of C stack.
        (resource.RLIMIT_STACK, (STACK_BYTES, STACK_BYTES)),
    ]

    def apply() -> None:
        # Kept to setrlimit only: preexec_fn runs between fork and exec, where little else is safe.
        for kind, value in settings:
            resource.setrlimit(kind, value)

    return apply


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, 0)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _bind_root(arg: list[str], path: str) -> None:
    # Debian's usr-merge makes /bin, /lib, /lib64 symlinks; mirror them rather than bind-mount twice.
    if os.path.islink(path):
        arg += ["--symlink", os.readlink(path), path]
    elif os.path.isdir(path):
        arg += ["--ro-bind", path, path]


def _bwrap_argv(
    argv: list[str], *, limits: Limits, uid: int, files: dict, ro_binds: list, env: dict, fds: list[int]
) -> list[str]:
    disk = str(limits.disk_mb << 20)
    cmd = [
        BWRAP,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/usr",
        "/usr",
        "--tmpfs",
        "/usr/local",
    ]
    for path in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        _bind_root(cmd, path)
    for path in _ETC_FILES:
        if os.path.exists(path):
            cmd += ["--ro-bind", path, path]
    if os.path.isdir("/etc/alternatives"):
        cmd += ["--ro-bind", "/etc/alternatives", "/etc/alternatives"]
    for name, text in (("passwd", _PASSWD), ("group", _GROUP)):
        fd = _memfd(name, text.format(uid=uid).encode())
        fds.append(fd)
        cmd += ["--perms", "0444", "--ro-bind-data", str(fd), f"/etc/{name}"]
    cmd += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        disk,
        "--tmpfs",
        "/tmp",
        "--size",
        disk,
        "--tmpfs",
        "/work",
        "--chdir",
        "/work",
    ]
    for src, dest, *kind in ro_binds:
        cmd += ["--dev-bind" if kind else "--ro-bind", src, dest]
    for name, spec in files.items():
        data, mode = spec if isinstance(spec, tuple) else (spec, 0o644)
        fd = _memfd(name, data)
        fds.append(fd)
        cmd += ["--perms", f"{mode & 0o7777:04o}", "--file", str(fd), f"/work/{name}"]
    # Nothing writable but the two capped tmpfs: bwrap's own root (where /etc and the mount points live), the
    # /usr/local mask and /dev (with its /dev/shm directory) are tmpfs without a size, so they become read-only once
    # every mount is in place; the device nodes inside /dev are bind mounts of their own and stay writable. Without
    # this a submission wrote 1 GiB to / (host shared memory 121 -> 1,145 MiB).
    cmd += ["--remount-ro", "/usr/local", "--remount-ro", "/dev", "--remount-ro", "/"]
    # The command itself is the namespace's PID 1, so the bwrap process we wait4() on is its direct
    # parent and the rusage (CPU, peak RSS) is the command's. With bwrap's own init in between, bwrap
    # exits on an eventfd without reaping it and the figures are lost. As PID 1 the command also
    # cannot be killed by its own children, and its exit still tears the whole namespace down.
    cmd += ["--as-pid-1", "--clearenv"]
    for key, value in _base_env(env).items():
        cmd += ["--setenv", key, value]
    return cmd + ["--", *argv]


# Run by bash (dash cannot redirect fds above 9) when ``keep`` is asked for: it moves the channel fd to 3,
# runs the command without it, kills whatever the command left running, then streams each kept
# regular file as "name size\n" + bytes. Tampering by the command can only garble its own files.
_KEEP_SCRIPT = r"""
kfd=$1; shift; n=$1; shift; names=""
while [ "$n" -gt 0 ]; do names="$names $1"; shift; n=$((n-1)); done
exec 3>&"$kfd"; eval "exec $kfd>&-"
"$@" 3>&-; rc=$?
kill -9 -1 2>/dev/null
for f in $names; do
  if [ -f "/work/$f" ] && [ ! -L "/work/$f" ]; then
    printf '%s %s\n' "$f" "$(wc -c < "/work/$f")" >&3; cat "/work/$f" >&3
  fi
done
exit $rc
"""


def _parse_keep(blob: bytes, wanted: list[str], cap: int) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    pos = 0
    while pos < len(blob):
        end = blob.find(b"\n", pos, pos + 200)
        if end < 0:
            break
        parts = blob[pos:end].split(b" ")
        if len(parts) != 2 or not parts[1].isdigit():
            break
        name, size = parts[0].decode("ascii", "replace"), int(parts[1])
        data = blob[end + 1 : end + 1 + size]
        if name not in wanted or name in files or len(data) != size or size > cap:
            break
        files[name] = data
        pos = end + 1 + size
    return files


def _execute(
    argv: list[str],
    *,
    limits: Limits,
    stdin: bytes,
    files: dict,
    ro_binds: list,
    keep: list[str],
    env: dict[str, str],
    confined: bool,
) -> Outcome:
    for name in [*files, *keep]:
        if not _KEEP_NAME.match(name) or name in (".", ".."):
            return _failed(f"invalid work-dir file name {name!r}")
    if not argv:
        return _failed("empty argv")
    fds: list[int] = []
    workdir = None
    uid = _UID_BASE + secrets.randbelow(_UID_SPAN) if os.geteuid() == 0 else os.getuid()
    keep_r = keep_w = -1
    try:
        if keep:
            keep_r, keep_w = os.pipe()
            os.set_blocking(keep_r, False)
            argv = ["/bin/bash", "-c", _KEEP_SCRIPT, "keep", str(keep_w), str(len(keep)), *keep, *argv]
        if confined:
            cmd = _bwrap_argv(argv, limits=limits, uid=uid, files=files, ro_binds=ro_binds, env=env, fds=fds)
            popen_env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
            cwd = "/"
        else:
            import tempfile

            workdir = tempfile.mkdtemp(prefix="deploydojo-unconfined-")
            for name, spec in files.items():
                data, mode = spec if isinstance(spec, tuple) else (spec, 0o644)
                with open(os.path.join(workdir, name), "wb") as fh:
                    fh.write(data)
                os.chmod(os.path.join(workdir, name), mode & 0o7777)
            if os.geteuid() == 0:
                os.chown(workdir, uid, uid)
            cmd, popen_env, cwd = argv, _base_env({**env, "HOME": workdir}), workdir
            if keep:
                # Outside a PID namespace `kill -9 -1` would hit every process of the caller's uid.
                script = _KEEP_SCRIPT.replace("/work/", workdir + "/")
                if os.geteuid() != 0:
                    script = script.replace("kill -9 -1 2>/dev/null", ":")
                cmd = [*cmd[:2], script, *cmd[3:]]
        drop = {"user": uid, "group": uid, "extra_groups": []} if os.geteuid() == 0 else {}
        return _supervise(
            cmd,
            limits=limits,
            stdin=stdin,
            env=popen_env,
            cwd=cwd,
            pass_fds=[*fds, keep_w],
            keep_r=keep_r,
            keep_w=keep_w,
            keep=keep,
            drop=drop,
            uid=uid,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return _failed(f"could not start the sandbox: {exc}")
    finally:
        for fd in [*fds, keep_r, keep_w]:
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def _supervise(
    cmd: list[str],
    *,
    limits: Limits,
    stdin: bytes,
    env: dict,
    cwd: str,
    pass_fds: list[int],
    keep_r: int,
    keep_w: int,
    keep: list[str],
    drop: dict,
    uid: int,
) -> Outcome:
    start = time.monotonic()
    # preexec_fn only calls setrlimit (async-signal-safe in practice) so the limits are in place before
    # bwrap execs; the alternative, a prlimit(1) wrapper, costs an extra exec per run.
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        pass_fds=[fd for fd in pass_fds if fd >= 0],
        start_new_session=True,
        preexec_fn=_preexec(limits),  # noqa: PLW1509
        **drop,
    )
    if keep_w >= 0:
        os.close(keep_w)
    caps = {
        "stdout": limits.stdout_bytes or limits.output_bytes,
        "stderr": limits.output_bytes,
        "keep": len(keep) * ((limits.file_mb << 20) + 256),
    }
    bufs: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray(), "keep": bytearray()}
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "stdout")
    sel.register(proc.stderr, selectors.EVENT_READ, "stderr")
    if keep_r >= 0:
        sel.register(keep_r, selectors.EVENT_READ, "keep")
    pending = memoryview(stdin)
    os.set_blocking(proc.stdin.fileno(), False)
    if pending:
        sel.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
    else:
        proc.stdin.close()
    pidfd = os.pidfd_open(proc.pid)
    sel.register(pidfd, selectors.EVENT_READ, "exit")
    deadline = start + limits.wall_s
    timed_out = truncated = exited = False
    truncated_stream = None
    while sel.get_map():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        if exited:
            # Everything in the sandbox is dead once bwrap exits; only buffered bytes remain to drain.
            remaining = min(remaining, 0.5)
        events = sel.select(remaining)
        if not events and exited:
            break
        for key, _ in events:
            what = key.data
            if what == "exit":
                sel.unregister(pidfd)
                exited = True
            elif what == "stdin":
                try:
                    pending = pending[os.write(proc.stdin.fileno(), pending[:65536]) :]
                except (BrokenPipeError, BlockingIOError, OSError):
                    pending = pending[:0]
                if not pending:
                    sel.unregister(proc.stdin)
                    proc.stdin.close()
            else:
                fd = key.fd
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                bufs[what] += chunk
                if len(bufs[what]) > caps[what]:
                    del bufs[what][caps[what] :]
                    truncated, truncated_stream = True, what
        if truncated:
            break
    if timed_out or truncated or not exited:
        _kill(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: stop Popen from waiting again
    wall = time.monotonic() - start
    if drop:
        _sweep(uid)
    sel.close()
    os.close(pidfd)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream and not stream.closed:
            stream.close()
    code, sig = _decode_status(status, killed=timed_out or truncated)
    return Outcome(
        returncode=code,
        stdout=bytes(bufs["stdout"]),
        stderr=bytes(bufs["stderr"]),
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss_kb=int(usage.ru_maxrss),
        timed_out=timed_out,
        output_truncated=truncated and truncated_stream != "keep",
        signal=sig,
        files=_parse_keep(bytes(bufs["keep"]), keep, limits.file_mb << 20) if keep and code is not None else {},
        truncated_stream=truncated_stream if truncated_stream != "keep" else None,
    )


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _sweep(uid: int) -> None:
    """Kill anything still running under this run's private uid (nothing should be: belt and braces)."""
    try:
        subprocess.run(
            ["/bin/kill", "-9", "-1"],
            user=uid,
            group=uid,
            extra_groups=[],
            env={},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        pass


def _decode_status(status: int, *, killed: bool) -> tuple[int | None, int | None]:
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    code = os.WEXITSTATUS(status)
    # bwrap reports a command killed by signal N as exit status 128+N (like a shell).
    if 128 < code <= 128 + 64:
        return None, code - 128
    return code, None
