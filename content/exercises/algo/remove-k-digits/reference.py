"""Reference for remove-k-digits: monotonic stack, drop a digit whenever a smaller one follows it, O(n)."""


def remove_k_digits(num: str, k: int) -> str:
    stack: list[str] = []
    for d in num:
        # A larger digit before a smaller one is the most costly digit to keep in the current position.
        while k and stack and stack[-1] > d:
            stack.pop()
            k -= 1
        stack.append(d)
    if k:
        del stack[-k:]  # what is left is non-decreasing: the tail digits are the largest
    return "".join(stack).lstrip("0") or "0"
