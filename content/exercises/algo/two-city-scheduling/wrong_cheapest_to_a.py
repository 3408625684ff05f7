# expect: WA
"""Wrong for two-city-scheduling: sends the m people with the cheapest A fares to A, ignoring what B would cost."""


def two_city_sched_cost(costs: list[list[int]]) -> int:
    ranked = sorted(costs, key=lambda c: c[0])
    m = len(costs) // 2
    return sum(a for a, _ in ranked[:m]) + sum(b for _, b in ranked[m:])
