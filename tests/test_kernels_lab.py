"""The kernel lab: the learner's GEMM and softmax built and run in the real bubblewrap sandbox under the lab's
harness, judged on fresh inputs against NumPy. The reference steps pass; the cheats the GPU-kernel judges keep
meeting (a replayed previous answer, a kernel right only on tile multiples, a write out of bounds) are caught
as WA or RE without hurting the runner; the library baseline and a naive kernel go end to end through a real
runner. Small sizes and a small cache flush keep it quick on a shared 2-core machine; no speed is asserted."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

import labcontract
import sandbox
from gpu_runner.errors import Unsupported
from gpu_runner.labs import LabContext
from gpu_runner.labs import kernels as lab
from gpu_runner.labs.kernels import harness

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "content" / "labs" / "kernels"
pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason="bubblewrap sandbox unavailable")
FLUSH = 8 << 20

REPLAY = r"""
#include <cstring>
#include <vector>
static std::vector<float> last;
extern "C" void gemm(int M, int N, int K, const float* A, const float* B, float* C) {
    std::vector<float> now((size_t)M * N, 0.0f);
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            for (int j = 0; j < N; j++) now[(size_t)i * N + j] += A[(size_t)i * K + k] * B[(size_t)k * N + j];
    if (last.size() == now.size()) std::memcpy(C, last.data(), last.size() * 4);  // the previous call's answer
    else std::memcpy(C, now.data(), now.size() * 4);
    last = now;
}
"""
# Blocked 16x16 but the remainder loops are missing: right on multiples of 16, wrong elsewhere.
TILE_ONLY = r"""
extern "C" void gemm(int M, int N, int K, const float* A, const float* B, float* C) {
    for (int i0 = 0; i0 + 16 <= M; i0 += 16)
        for (int j0 = 0; j0 + 16 <= N; j0 += 16)
            for (int i = i0; i < i0 + 16; i++)
                for (int j = j0; j < j0 + 16; j++) {
                    float acc = 0.0f;
                    for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
                    C[i * N + j] = acc;
                }
}
"""
STARTER = (PROBLEMS / "gemm" / "starter.cpp").read_text()
ONE_PAST_END = STARTER.replace("C[(long)i * N + j] = acc;", "C[(long)i * N + j] = acc; C[(long)M * N] = 0.0f;")
FAR_PAST_END = STARTER.replace("C[(long)i * N + j] = acc;", "C[(long)i * N + j] = acc; C[(long)M * N + 5000] = 1;")
BEFORE_START = STARTER.replace("C[(long)i * N + j] = acc;", "C[(long)i * N + j] = acc; C[-3] = 0.0f;")
INTO_INPUT = STARTER.replace("C[(long)i * N + j] = acc;", "C[(long)i * N + j] = acc; ((float*)A)[0] = 0.0f;")


def ctx() -> LabContext:
    return LabContext(device="cpu", capabilities={}, child_timeout_s=300)


def judge(source: str, problem: str, sizes: list[list[int]], repeats: int = 2) -> list[dict]:
    """Compile in the sandbox and judge each size as the lab does (small flush, one warm-up run)."""
    kernel, report = harness.compile_kernel(source, "cpu")
    assert kernel is not None, report["message"]
    return lab.judge_sizes(ctx(), driver=harness.build_driver(), kernel=kernel, problem=problem, target="cpu",
                           sizes=sizes, warmup=1, repeats=repeats, flush=FLUSH, threads=2, cuda=None)


@pytest.mark.slow
@pytest.mark.parametrize("problem, step", [
    *[("gemm", p.name) for p in sorted((PROBLEMS / "gemm" / "steps").glob("*.cpp"))],
    *[("softmax", p.name) for p in sorted((PROBLEMS / "softmax" / "steps").glob("*.cpp"))]])
def test_every_cpu_reference_step_compiles_and_passes_on_tile_multiples_and_ragged_sizes(problem, step):
    sizes = [[64, 64, 64], [67, 45, 129], [1, 300, 7]] if problem == "gemm" else [[64, 64], [33, 257], [3, 1]]
    entries = judge((PROBLEMS / problem / "steps" / step).read_text(), problem, sizes)
    assert [e["status"] for e in entries] == ["ok"] * 3, entries
    assert all(e["max_error"] <= 1.0 and e["time_s"]["n"] == 2 and e["checked"] == "every element"
               for e in entries)


def test_a_kernel_returning_the_previous_calls_output_is_a_wrong_answer_naming_the_second_run():
    [entry] = judge(REPLAY, "gemm", [[32, 32, 32]])
    assert entry["status"] == "WA"
    bad = entry["first_bad"]
    assert bad["run"] == 1 and (bad["row"], bad["col"]) == (0, 0)  # run 0 was right; run 1 replayed it
    assert isinstance(bad["got"], float) and bad["got"] != pytest.approx(bad["expected"], abs=1e-3)


def test_a_kernel_right_only_on_tile_multiples_passes_them_and_is_wa_at_the_first_ragged_size():
    entries = judge(TILE_ONLY, "gemm", [[32, 48, 16], [64, 64, 33], [33, 32, 32], [64, 64, 64]])
    assert [e["status"] for e in entries] == ["ok", "ok", "WA", "skipped"]
    bad = entries[2]["first_bad"]
    assert (bad["run"], bad["row"], bad["col"]) == (0, 32, 0)  # row 32 is the one past the last full tile
    assert bad["got"] == "nan"  # never written: the harness poisons C before every call


@pytest.mark.parametrize("source, where", [
    (ONE_PAST_END, "past the end of C"), (FAR_PAST_END, "past the end of C"),
    (BEFORE_START, "before the start of C"), (INTO_INPUT, "read-only input A")])
def test_an_out_of_bounds_write_is_a_runtime_error_saying_where_and_the_next_kernel_still_runs(source, where):
    [entry] = judge(source, "gemm", [[20, 30, 10]])
    assert entry["status"] == "RE" and where in entry["message"], entry
    [after] = judge(STARTER, "gemm", [[20, 30, 10]])
    assert after["status"] == "ok"


def test_the_softmax_starter_overflows_and_is_wa_with_nan_named_while_the_stable_step_passes():
    [entry] = judge((PROBLEMS / "softmax" / "starter.cpp").read_text(), "softmax", [[16, 100]])
    # Inputs are fresh each run: the first bad element is an overflow (nan/inf/0) or a row it threw off.
    bad = entry["first_bad"]
    assert entry["status"] == "WA" and bad["got"] != bad["expected"]


def test_a_build_error_fails_the_job_with_the_compilers_message_and_a_missing_symbol_says_which():
    result = lab.run({"problem": "gemm", "source": "extern \"C\" void gemm( { oops", "sizes": [[4, 4, 4]]}, ctx())
    assert result["status"] == "CE" and "error" in result["message"] and "-march=native" in result["compile"]["command"]
    labcontract.validate_result("kernels", result)
    assert labcontract.result_failure("kernels", result).startswith("CE: ")
    [entry] = judge("extern \"C\" void gemm2() {}", "gemm", [[4, 4, 4]])
    assert entry["status"] == "CE" and "no extern \"C\" function named gemm" in entry["message"]


def test_a_cuda_kernel_on_a_runner_without_a_gpu_is_unsupported_with_the_reason():
    result = lab.run({"problem": "gemm", "target": "cuda", "source": STARTER}, ctx())
    assert result["status"] == "unsupported" and "no CUDA GPU" in result["reason"]
    labcontract.validate_result("kernels", result)
    assert labcontract.result_failure("kernels", result)
    with pytest.raises(Unsupported, match="no CUDA GPU"):
        lab.cuda_toolchain(ctx())


def test_bad_params_are_refused_naming_the_field():
    check = labcontract.lab_params_with_defaults
    with pytest.raises(labcontract.ContractError) as exc:
        check("kernels", {"source": STARTER, "sizes": [[8, 8, 8], [8, 8]]}, queue="lab.cpu")
    assert exc.value.field == "sizes/1" and "[M, N, K]" in str(exc.value)
    with pytest.raises(labcontract.ContractError) as exc:
        check("kernels", {"source": STARTER, "target": "cuda"}, queue="lab.cpu")
    assert exc.value.field == "target" and "lab.cuda" in str(exc.value)
    with pytest.raises(labcontract.ContractError) as exc:
        check("kernels", {"source": STARTER, "problem": "softmax", "sizes": [[16384, 16384]], "repeats": 20},
              queue="lab.cpu")
    assert exc.value.field == "sizes/0"
    assert check("kernels", {"source": STARTER, "target": "cuda"}, queue="lab.cuda")["target"] == "cuda"


@pytest.mark.slow
def test_a_blocked_threaded_gemm_in_process_gets_the_library_beside_it_and_points_on_the_measured_roofline(
        monkeypatch):
    monkeypatch.setattr(lab, "FLUSH_MIN", 16 << 20)
    monkeypatch.setattr(lab, "FLUSH_MAX", 32 << 20)
    monkeypatch.setattr(lab, "ROOF_DIMS", {"cpu": [128, 128, 128]})
    source = (PROBLEMS / "gemm" / "steps" / "4-openmp.cpp").read_text()
    result = lab.run({"problem": "gemm", "source": source, "sizes": [[64, 64, 64], [65, 63, 31]], "warmup": 1,
                      "repeats": 2, "threads": 2}, ctx())
    labcontract.validate_result("kernels", result)
    assert result["status"] == "ok" and labcontract.result_failure("kernels", result) is None
    assert result["library"]["blas"][0]["internal_api"] == "openblas" and result["library"]["threads"] == 2
    roof = result["roofline"]
    assert roof["copy"]["gb_s"] > 0 and roof["peak_gflop_s"] > 0 and roof["ridge_intensity"] > 0
    assert sorted({p["who"] for p in roof["points"]}) == ["kernel", "library"] and len(roof["points"]) == 4
    for entry in result["sizes"]:
        assert entry["gflop_s"] > 0 and entry["share_of_library"] > 0 and 0 < entry["share_of_bound"]
        assert entry["intensity"] == pytest.approx(2 * 64 ** 3 / (4 * 3 * 64 * 64), rel=1e-3) \
            if entry["dims"] == [64, 64, 64] else entry["intensity"] > 0


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="no nvcc on this machine")
@pytest.mark.slow
def test_the_cuda_harness_starters_and_reference_steps_compile_with_nvcc(tmp_path):
    """The CUDA path cannot run without a GPU; compiling it (for sm_80) is what this machine can check."""
    import subprocess

    harness.build_driver("cuda", cuda_arch="sm_80")
    sources = sorted(PROBLEMS.glob("*/starter.cu")) + sorted(PROBLEMS.glob("*/steps/*.cu"))
    assert len(sources) == 8
    for source in sources:
        out = subprocess.run(["nvcc", "-O2", "-arch=sm_80", "-Xcompiler", "-fPIC", "-shared", "-o",
                              str(tmp_path / "k.so"), str(source)], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, f"{source.name}: {out.stderr[-2000:]}"


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_real_runner_judges_the_naive_gemm_against_openblas_and_the_site_stores_it(
        live_server, transactional_db, make_user, tmp_path):
    from django.conf import settings

    from labs import services as labs
    from labs.models import LabJob, Runner
    from tests.faultkit import kill_group, start_runner, wait_for
    from tests.support import purge_queues

    purge_queues(list(labcontract.QUEUES))
    owner = make_user("kernel-learner")
    runner, token = Runner.create_with_token(owner=owner, name="cpu-box")
    proc = start_runner(live_server.url, token, settings.CELERY_BROKER_URL, "kernels", tmp_path / "runner.log")
    try:
        wait_for(lambda: Runner.objects.get(id=runner.id).is_online, 120, "runner online")
        params = labcontract.lab_params_with_defaults(
            "kernels", {"source": STARTER, "sizes": [[96, 80, 64], [33, 17, 65]], "repeats": 2}, queue="lab.cpu")
        job = LabJob.objects.create(user=owner, lab="kernels", queue="lab.cpu", params=params)
        labs.dispatch(job)
        job = wait_for(lambda: LabJob.objects.filter(id=job.id, status__in=LabJob.FINISHED).first(), 600,
                       "kernels job finished")
        log = (tmp_path / "runner.log").read_text(errors="replace")[-3000:]
        assert job.status == LabJob.Status.SUCCEEDED, f"{job.error}\n{log}"
        result = job.result
        labcontract.validate_result("kernels", result)
        assert result["status"] == "ok" and [e["status"] for e in result["sizes"]] == ["ok", "ok"]
        assert result["library"]["blas"][0]["internal_api"] == "openblas"
        assert all(e["library"]["gflop_s"] > 0 and e["share_of_library"] > 0 for e in result["sizes"])
        assert result["roofline"]["copy"]["gb_s"] > 0 and len(result["roofline"]["points"]) == 4
    finally:
        kill_group(proc, signal.SIGTERM)
