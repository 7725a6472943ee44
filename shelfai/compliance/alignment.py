"""Order of products along a shelf: align what a photo shows with what the planogram lists.

A rep reads a shelf left to right, so order is judged on the sequence of *blocks* (runs of the same
SKU), not of single facings: "A A B B C" is the block order "A B C". The longest common subsequence
of the planned and the observed block order is the part that is in order; every planned SKU that is
on the shelf but outside that subsequence is out of place. The LCS is the edit-distance alignment
with only insertions and deletions, which is what moving a block on a shelf amounts to.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass


def collapse_runs(sequence: Sequence[Hashable]) -> list[Hashable]:
    """``A A B A`` -> ``A B A``: one entry per block of adjacent equal items."""
    blocks: list[Hashable] = []
    for item in sequence:
        if not blocks or blocks[-1] != item:
            blocks.append(item)
    return blocks


def lcs_pairs(expected: Sequence[Hashable], observed: Sequence[Hashable]) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)`` of one longest common subsequence, in order.

    Quadratic dynamic programme; shelves hold tens of blocks, so this is microseconds.
    Ties drop the earlier planned item, so of two swapped blocks the one planned first is the one
    reported out of place; deterministic either way.
    """
    n, m = len(expected), len(observed)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = table[i], table[i + 1]
        for j in range(m - 1, -1, -1):
            row[j] = below[j + 1] + 1 if expected[i] == observed[j] else max(below[j], row[j + 1])
    pairs = []
    i = j = 0
    while i < n and j < m:
        if expected[i] == observed[j]:
            pairs.append((i, j))
            i += 1
            j += 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


@dataclass(frozen=True, slots=True)
class OrderCheck:
    """The result of aligning one shelf: which planned blocks are present, and which are out of place."""

    expected: tuple[Hashable, ...]  # planned block order (SKUs)
    observed: tuple[Hashable, ...]  # observed block order, restricted to SKUs planned on this shelf
    in_order: tuple[Hashable, ...]  # the longest common subsequence
    out_of_order: tuple[Hashable, ...]  # planned and present, but not where the plan puts them

    @property
    def present(self) -> int:
        """How many planned SKUs of this shelf were seen on it."""
        return len(set(self.expected) & set(self.observed))


def check_order(expected: Sequence[Hashable], observed_facings: Sequence[Hashable]) -> OrderCheck:
    """Align a shelf's planned SKU order with its observed left-to-right facings.

    ``observed_facings`` is one entry per facing; SKUs that are not planned on this shelf are
    ignored here (they are judged as "wrong shelf" or "not in the planogram" elsewhere), and so are
    planned SKUs that were not seen (judged as "missing").
    """
    planned = set(expected)
    observed = collapse_runs([sku for sku in observed_facings if sku in planned])
    seen = set(observed)
    expected_present = [sku for sku in collapse_runs(expected) if sku in seen]
    pairs = lcs_pairs(expected_present, observed)
    in_order = tuple(expected_present[i] for i, _ in pairs)
    matched = set(in_order)
    out = tuple(dict.fromkeys(sku for sku in expected_present if sku not in matched))
    return OrderCheck(tuple(expected), tuple(observed), in_order, out)
