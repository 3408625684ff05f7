# expect: TLE
"""Too slow for remove-k-digits: rescans from the front for the first descent before each of the k removals,
O(n·k)."""


def remove_k_digits(num: str, k: int) -> str:
    for _ in range(k):
        i = 0
        while i + 1 < len(num) and num[i] <= num[i + 1]:
            i += 1
        num = num[:i] + num[i + 1:]
    return num.lstrip("0") or "0"
