"""The serving-bench, fine-tuning and long-context labs end to end: jobs checked by the contract, sent over
Redis to a real gpu_runner process on this CPU (fixture model), measured in its fresh child processes and
stored by the live site, which validates each result against its lab's schema on receipt."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

import labcontract
from labs.models import LabJob, Runner
from tests.faultkit import kill_group, start_runner, wait_for
from tests.support import finished_job as finished
from tests.support import queued_job as queued

SERVING = {"model": "fixture", "engines": ["transformers"], "concurrency": [1, 2],
           "max_requests_per_level": 3, "duration_s": 600, "prompt_tokens": 16, "output_tokens": 6,
           "slo": {"ttft_ms": 60000}}
FINETUNE = {"model": "fixture", "steps": 3, "lr": 5e-3, "lr_scheduler": "constant", "seq_len": 256,
            "eval_examples": 2, "eval_max_new_tokens": 8}
LONG_CONTEXT = {"model": "fixture", "settings": [{"type": "none"}, {"type": "yarn", "factor": 2}],
                "trained_length": 160, "lengths": [128, 256], "passkey_depths": [0.5], "passkey_trials": 1}


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_a_real_runner_runs_serving_finetune_and_long_context_jobs_and_the_site_stores_their_results(
        live_server, transactional_db, make_user, tmp_path):
    from django.conf import settings

    from tests.support import purge_queues

    purge_queues(list(labcontract.QUEUES))
    owner = make_user("lab-owner")
    runner, token = Runner.create_with_token(owner=owner, name="cpu-box")
    proc = start_runner(live_server.url, token, settings.CELERY_BROKER_URL, "newlabs", tmp_path / "runner.log")
    adapter = None
    try:
        wait_for(lambda: Runner.objects.get(id=runner.id).is_online, 120, "runner online")
        jobs = [queued(owner, "serving-bench", SERVING), queued(owner, "finetune", FINETUNE),
                queued(owner, "long-context", LONG_CONTEXT)]
        serving, tuned, longctx = (finished(job, 600) for job in jobs)
        log = (tmp_path / "runner.log").read_text(errors="replace")[-3000:]
        for job in (serving, tuned, longctx):
            assert job.status == LabJob.Status.SUCCEEDED, f"{job.lab}: {job.error}\n{log}"
            assert job.runner_id == runner.id and job.progress == 100 and job.system_info["queue"] == "lab.cpu"
            labcontract.validate_result(job.lab, job.result)

        [plain] = serving.result["engines"]
        assert plain["status"] == "ok" and [lv["concurrency"] for lv in plain["levels"]] == [1, 2]
        for level in plain["levels"]:
            assert level["completed"] == 3 and level["failed"] == 0, level.get("errors")
            assert level["total_output_tokens"] == 3 * 6 and level["ttft_ms"]["median"] > 0
            assert level["slo_attainment"] == 1.0  # a 60 s TTFT budget on a fixture model

        result = tuned.result
        assert result["status"] == "ok" and result["method"] == "lora" and result["device"] == "cpu"
        assert result["dataset"]["source"] == "builtin:react-tools"  # the dataset ships beside the runner
        assert len(result["loss_curve"]) == len(result["step_seconds"]) == 3 and result["s_per_step"] > 0
        assert 0 < result["parameters"]["trainable_percent"] < 100
        assert result["before"]["scored"] == result["after"]["scored"] == 2
        adapter = Path(result["adapter"]["path"])
        assert (adapter / "adapter_model.safetensors").is_file()

        result = longctx.result
        assert result["trained_length"] == 160 and result["trained_length_nominal"] is True
        for entry in result["settings"]:
            assert entry["status"] == "ok", entry
            assert [c["length"] for c in entry["cells"]] == [128, 256]
            assert all(c["perplexity"] > 1 and c["prefill_s"] > 0 and len(c["passkey"]) == 1 for c in entry["cells"])
    finally:
        kill_group(proc, signal.SIGTERM)
        if adapter is not None:
            shutil.rmtree(adapter, ignore_errors=True)
