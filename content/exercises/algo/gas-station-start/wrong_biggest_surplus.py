# expect: WA
"""Wrong for gas-station-start: starts at the station with the largest gas - cost, ignoring the prefix sums."""


def gas_station_start(gas: list[int], cost: list[int]) -> int:
    if sum(gas) < sum(cost):
        return -1
    return max(range(len(gas)), key=lambda i: gas[i] - cost[i])
