"""Interval arithmetic on sorted lists of (start, end) seconds."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

Interval = tuple[float, float]


def union(spans: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals; zero-length ones are kept (Whisper gives some words no
    duration, and such a word still falls in a turn)."""
    merged: list[Interval] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Intersection of two sorted, disjoint interval lists (touching counts, with length 0)."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start <= end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """`a` without `b`; both sorted and disjoint (one pass over both)."""
    out, j = [], 0
    for start, end in a:
        while j < len(b) and b[j][1] <= start:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > start:
                out.append((start, b[k][0]))
            start = max(start, b[k][1])
            k += 1
        if start < end:
            out.append((start, end))
    return out


def near(spans: list[Interval], start: float, end: float) -> list[Interval]:
    """Those of the sorted, disjoint `spans` that can overlap [start, end] (a bisection:
    an interview has thousands of turns and words)."""
    return spans[bisect_right(spans, start, key=lambda s: s[1]) : bisect_left(spans, end, key=lambda s: s[0])]


def length(spans: list[Interval]) -> float:
    return sum(end - start for start, end in spans)
