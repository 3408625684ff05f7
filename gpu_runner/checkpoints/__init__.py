"""Loading models onto the runner: the seeded fixture, SmolLM2-135M from its GGUF package, local directories and
pre-quantized checkpoints."""
