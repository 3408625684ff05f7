"""Command line of the runner: probe the host, choose queues, start the heartbeat and the Celery worker."""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import time

from gpu_runner.measure.nvml import cuda_order_like_nvml
from gpu_runner.service.capabilities import probe
from gpu_runner.service.prometheus import start_metrics_server
from gpu_runner.service.site_client import SiteClient, SiteError
from gpu_runner.service.worker import BOOT_ID, Heartbeat, make_celery_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(prog="python -m gpu_runner", description="DeployDojo GPU lab runner")
    p.add_argument("--site-url", default=env("DEPLOYDOJO_SITE_URL"), help="site base URL (DEPLOYDOJO_SITE_URL)")
    p.add_argument("--token-file", default=env("DEPLOYDOJO_RUNNER_TOKEN_FILE"),
                   help="file holding the runner token (DEPLOYDOJO_RUNNER_TOKEN_FILE)")
    p.add_argument("--token", default=None,
                   help="runner token; visible to every user in `ps` — prefer DEPLOYDOJO_RUNNER_TOKEN or --token-file")
    p.add_argument("--broker-url", default=env("CELERY_BROKER_URL"), help="Celery broker URL (CELERY_BROKER_URL)")
    p.add_argument("--models-dir", default=env("DEPLOYDOJO_MODELS_DIR"),
                   help="folder of local Hugging Face model directories the runner offers (DEPLOYDOJO_MODELS_DIR)")
    p.add_argument("--name", default=socket.gethostname(), help="worker name (default: host name)")
    p.add_argument("--concurrency", type=int, default=1, help="jobs at once (default 1: labs measure the host)")
    p.add_argument("--probe", action="store_true", help="print the capabilities JSON and exit")
    args = p.parse_args(argv)
    if args.token:
        logging.getLogger("gpu_runner").warning(
            "--token on the command line is visible to every user of this host (ps); use DEPLOYDOJO_RUNNER_TOKEN "
            "or --token-file")
    elif args.token_file:
        try:
            args.token = open(args.token_file, encoding="utf-8").read().strip()
        except OSError as exc:
            p.error(f"--token-file {args.token_file}: {exc.strerror}")
    else:
        args.token = env("DEPLOYDOJO_RUNNER_TOKEN")
    if not args.probe:
        missing = [flag for flag, value in (("--site-url", args.site_url), ("--token", args.token),
                                            ("--broker-url", args.broker_url)) if not value]
        if missing:
            p.error("missing " + ", ".join(missing) + " (or their environment variables)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cuda_order_like_nvml()  # before the probe or any lab touches CUDA
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    capabilities = probe(models_dir=args.models_dir)
    if args.probe:
        print(json.dumps(capabilities, indent=2))
        return 0
    queues = capabilities["queues"]
    logging.getLogger("gpu_runner").info("serving queues %s on %s", ", ".join(queues), capabilities["cpu"]["model"])
    client = SiteClient(args.site_url, args.token)
    # The first beat, before consuming anything: it releases jobs an earlier process of this runner died
    # with, and the site answers with this runner's own queues (jobs are sent to one runner, not shared).
    while True:
        try:
            first = client.heartbeat(capabilities, [], BOOT_ID)
            break
        except SiteError as exc:
            raise SystemExit(f"the site refused this runner: {exc}") from None
        except ConnectionError as exc:
            logging.getLogger("gpu_runner").warning("site not reachable yet (%s); retrying in 5 s", exc)
            time.sleep(5)
    consume = first.get("queues") or []
    if not consume:
        raise SystemExit("the site named no queues for this runner (is the site older than the runner?)")
    logging.getLogger("gpu_runner").info("runner %s consumes %s", first.get("runner"), ", ".join(consume))
    heartbeat = Heartbeat(SiteClient(args.site_url, args.token, retries=1), capabilities)
    heartbeat.start()
    app = make_celery_app(args.broker_url, queues, client, capabilities, consume=consume)
    start_metrics_server()  # only when DEPLOYDOJO_RUNNER_METRICS_PORT is set (loopback by default)
    try:
        # Threads, not prefork: each lab starts its own measurement processes, and a prefork child (a
        # daemon process) may not have children of its own.
        app.worker_main(argv=["worker", "--pool=threads", f"--concurrency={args.concurrency}",
                              f"--queues={','.join(consume)}", f"--hostname={args.name}@%h", "--loglevel=INFO",
                              "--without-gossip", "--without-mingle"])
    finally:
        heartbeat.stop()
    return 0
