"""Test generator for target-sum-ways: zeros, unreachable and odd-parity targets, then n = 100 arrays."""

import random

MAX_N = 100
MAX_V = 50


def _reachable(rng: random.Random, nums: list[int]) -> int:
    return sum(rng.choice([1, -1]) * x for x in nums)


def generate(rng: random.Random, i: int) -> list:
    fixed = [
        [[0], 0],
        [[7], 7],
        [[7], -6],
        [[0, 0, 0], 0],
        [[50], 5000],
        [[1, 2, 3], 1],
        [[1, 1, 1, 1, 1, 1], 0],
        [[5, 0, 5, 0], 0],
        # target < -sum (out of reach from below), with (sum + target) even so a parity check alone does not catch it
        [[1, 2], -5],
        [[2, 3, 4], -11],
        [[0], -2],
        [[MAX_V] * MAX_N, -5000],  # exactly -sum: one way, every sign minus
    ]
    if i < len(fixed):
        return fixed[i]
    if i >= 27:
        nums = [rng.randint(0, MAX_V) for _ in range(MAX_N)]
        # Near-zero targets have the most assignments; the last case uses a random reachable target.
        target = [0, 2, _reachable(rng, nums)][i - 27]
        if (sum(nums) + target) % 2:
            nums[0] = nums[0] + 1 if nums[0] < MAX_V else nums[0] - 1
        return [nums, target]
    n = rng.randint(1, rng.choice([10, 40, MAX_N]))
    nums = [rng.randint(0, rng.choice([3, MAX_V])) for _ in range(n)]
    if rng.random() < 0.7:
        return [nums, _reachable(rng, nums)]
    reach = min(sum(nums) + 2, 5000)  # just out of reach, within the stated |target| <= 5000
    return [nums, rng.randint(-reach, reach)]


def small(rng: random.Random, i: int) -> list:
    nums = [rng.randint(0, 6) for _ in range(rng.randint(1, 12))]
    if rng.random() < 0.6:
        return [nums, _reachable(rng, nums)]
    return [nums, rng.randint(-sum(nums) - 2, sum(nums) + 2)]
