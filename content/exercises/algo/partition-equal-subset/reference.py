"""Reference for partition-equal-subset: subset-sum reachability kept as bits of one Python integer."""


def can_partition(loads: list[int]) -> bool:
    """Whether loads split into two groups of equal sum."""
    total = sum(loads)
    if total % 2:
        return False
    half = total // 2
    # Bit s of `reach` is set when some subset of the loads seen so far sums to s.
    reach = 1
    mask = (1 << (half + 1)) - 1  # sums above half never help, so drop them
    for x in loads:
        reach = (reach | (reach << x)) & mask
    return bool(reach >> half & 1)
