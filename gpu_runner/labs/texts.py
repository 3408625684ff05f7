"""Fixed texts the labs measure with: a default prompt and the passage quality is scored on."""

DEFAULT_PROMPT = (
    "A deployment engineer serves a language model to many users at once. She watches latency, "
    "throughput and memory, and chooses a precision that keeps answers good while the model fits the GPU."
)

# Mixed English and Chinese so a Qwen-style tokenizer sees both scripts.
QUALITY_TEXT = (
    "Quantization stores each weight with fewer bits. Eight-bit integers halve the memory of sixteen-bit "
    "floats, and four-bit formats halve it again, but every rounding step moves the model's predictions a "
    "little. 量化把每个权重用更少的比特存储，模型更小，解码更快，但预测会有细微的偏移。"
    "To see how far they move, compare the next-token distributions of the quantized model with those of "
    "the full-precision model on the same text: how often the most likely token agrees, the KL divergence "
    "between the two distributions, and the perplexity each model assigns to the text. "
    "在同一段文本上比较两种精度的下一个词分布，就能看出量化的代价。"
)


def tokens_of_length(ids: list[int], length: int) -> list[int]:
    """Repeat or cut a token list to exactly length tokens (prompt lengths must be exact to compare runs)."""
    if not ids:
        raise ValueError("empty token list")
    out = list(ids)
    while len(out) < length:
        out.extend(ids)
    return out[:length]
