# expect: WA
"""Wrong for gas-station-start: also abandons a start when the tank is exactly empty, so it skips the smallest valid start."""


def gas_station_start(gas: list[int], cost: list[int]) -> int:
    total = tank = start = 0
    for i, (g, c) in enumerate(zip(gas, cost, strict=True)):
        total += g - c
        tank += g - c
        if tank <= 0:
            start, tank = i + 1, 0
    return start % len(gas) if total >= 0 else -1
