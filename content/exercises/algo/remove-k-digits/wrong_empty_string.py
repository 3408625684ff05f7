# expect: WA
"""Wrong for remove-k-digits: when every digit is removed (or only zeros remain) it returns "" instead of "0"."""


def remove_k_digits(num: str, k: int) -> str:
    stack: list[str] = []
    for d in num:
        while k and stack and stack[-1] > d:
            stack.pop()
            k -= 1
        stack.append(d)
    if k:
        del stack[-k:]
    return "".join(stack).lstrip("0")
