# expect: WA
"""Wrong for remove-k-digits: only removes digits that precede a smaller one; on a non-decreasing number the
left-over deletions are never made, so fewer than k digits go."""


def remove_k_digits(num: str, k: int) -> str:
    stack: list[str] = []
    for d in num:
        while k and stack and stack[-1] > d:
            stack.pop()
            k -= 1
        stack.append(d)
    return "".join(stack).lstrip("0") or "0"
