"""Reference for house-robber-circular: two linear passes, one without the first and one without the last."""


def _linear(values: list[int]) -> int:
    take, skip = 0, 0  # best total whose last element is taken / not taken
    for v in values:
        take, skip = skip + v, max(take, skip)
    return max(take, skip)


def max_value_circular(values: list[int]) -> int:
    """Maximum total of a subset with no two neighbours on the ring."""
    if len(values) == 1:
        return values[0]
    # Servers 0 and n-1 cannot both be chosen, so one of them is always left out.
    return max(_linear(values[1:]), _linear(values[:-1]))
