# expect: WA
"""Wrong for gas-station-start: never checks that the lap as a whole has enough gas, so it never answers -1."""


def gas_station_start(gas: list[int], cost: list[int]) -> int:
    tank = start = 0
    for i, (g, c) in enumerate(zip(gas, cost, strict=True)):
        tank += g - c
        if tank < 0:
            start, tank = i + 1, 0
    return start % len(gas)
