"""Reference for two-city-scheduling: send to A the half that saves the most by going to A, O(n log n)."""


def two_city_sched_cost(costs: list[list[int]]) -> int:
    # Start from everyone in B; moving person i to A changes the total by a_i - b_i, so move the m
    # people with the smallest (most negative) differences.
    ranked = sorted(costs, key=lambda c: c[0] - c[1])
    m = len(costs) // 2
    return sum(a for a, _ in ranked[:m]) + sum(b for _, b in ranked[m:])
