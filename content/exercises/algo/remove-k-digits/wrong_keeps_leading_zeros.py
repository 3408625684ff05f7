# expect: WA
"""Wrong for remove-k-digits: right digits removed, but leading zeros are kept ("10200", 1 gives "0200")."""


def remove_k_digits(num: str, k: int) -> str:
    stack: list[str] = []
    for d in num:
        while k and stack and stack[-1] > d:
            stack.pop()
            k -= 1
        stack.append(d)
    if k:
        del stack[-k:]
    return "".join(stack) or "0"
