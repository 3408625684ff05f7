# expect: WA
"""Wrong for house-robber-circular: always drops server 0 or server n-1, which leaves nothing when n = 1."""


def _linear(values: list[int]) -> int:
    take, skip = 0, 0
    for v in values:
        take, skip = skip + v, max(take, skip)
    return max(take, skip)


def max_value_circular(values: list[int]) -> int:
    return max(_linear(values[1:]), _linear(values[:-1]))
