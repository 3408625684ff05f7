"""The layout stays as ARCHITECTURE.md draws it: import-linter's contracts (.importlinter) pass — apps depend one
way (evidence -> knowledge -> {practice, labs, planner} -> tracker -> core, the three independent), and the
judge core, labcontract, sandbox, the planner's arithmetic and gpu_runner import no Django app."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_layer_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter"), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 kept, 0 broken" in done.stdout


def test_the_contract_lists_every_app_in_its_layer():
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    layers = [line.strip() for line in config["importlinter:contract:layers"]["layers"].split("\n") if line.strip()]
    assert layers == ["evidence", "knowledge", "practice | labs | planner", "tracker", "core"]
    from django.apps import apps

    project_apps = {cfg.name for cfg in apps.get_app_configs() if (ROOT / cfg.name).is_dir()}
    assert project_apps == {"core", "tracker", "practice", "labs", "planner", "knowledge", "evidence"}
