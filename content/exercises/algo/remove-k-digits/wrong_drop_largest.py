# expect: WA
"""Wrong for remove-k-digits: deletes the k largest digits, ignoring that a digit's position matters more."""


def remove_k_digits(num: str, k: int) -> str:
    order = sorted(range(len(num)), key=lambda i: (num[i], i), reverse=True)
    dropped = set(order[:k])
    kept = "".join(d for i, d in enumerate(num) if i not in dropped)
    return kept.lstrip("0") or "0"
