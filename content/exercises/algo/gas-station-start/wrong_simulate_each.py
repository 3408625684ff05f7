# expect: TLE
"""Too slow for gas-station-start: simulates a lap from every station, O(n^2) when early starts fail late."""


def gas_station_start(gas: list[int], cost: list[int]) -> int:
    n = len(gas)
    for s in range(n):
        tank = 0
        ok = True
        for step in range(n):
            i = (s + step) % n
            tank += gas[i] - cost[i]
            if tank < 0:
                ok = False
                break
        if ok:
            return s
    return -1
