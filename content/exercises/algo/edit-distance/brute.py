"""Brute force for edit-distance: breadth-first search over all strings reachable by single edits (tiny inputs)."""


def min_distance(word1: str, word2: str) -> int:
    """Fewest insert/delete/replace steps, found by BFS over edit sequences."""
    alphabet = sorted(set(word1 + word2)) or ["a"]
    # Any optimal path only ever needs letters from the two words and never grows past both lengths.
    cap = max(len(word1), len(word2))
    seen = {word1}
    frontier = [word1]
    steps = 0
    while True:
        if word2 in seen:
            return steps
        nxt = []
        for s in frontier:
            cands = []
            for p in range(len(s) + 1):
                if len(s) < cap:
                    cands += [s[:p] + c + s[p:] for c in alphabet]
                if p < len(s):
                    cands.append(s[:p] + s[p + 1:])
                    cands += [s[:p] + c + s[p + 1:] for c in alphabet]
            for t in cands:
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
        steps += 1
