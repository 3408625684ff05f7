"""Reference for gas-station-start: one pass, restarting after every prefix that runs dry, O(n)."""


def gas_station_start(gas: list[int], cost: list[int]) -> int:
    total = 0
    tank = 0
    start = 0
    for i, (g, c) in enumerate(zip(gas, cost)):
        total += g - c
        tank += g - c
        if tank < 0:
            # No station in start..i can be a valid start: each would reach i+1 with even less fuel.
            start = i + 1
            tank = 0
    return start if total >= 0 else -1
