# expect: WA
"""Wrong for partition-equal-subset: skips the odd-total check and looks for a subset summing to total // 2,
so [1, 2] (total 3, half rounded down 1) comes out True."""


def can_partition(loads: list[int]) -> bool:
    half = sum(loads) // 2
    reach = 1
    mask = (1 << (half + 1)) - 1
    for x in loads:
        reach = (reach | (reach << x)) & mask
    return bool(reach >> half & 1)
