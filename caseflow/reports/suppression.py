"""Small-cell suppression of the published statistics (domain.md §4.8).

A *publication* is every number one page (or its CSV) shows: named quantities (a table
cell, a row or column total, a grand total) and the additive relations between them
(``total = part + part + ...``: a table's rows, its columns, and a figure that is the sum
of figures in another table, e.g. "founded" = "level 2" + "level 3"). The rules:

1. **Primary suppression**: a count from 1 to ``min_count - 1`` is never shown; it is
   shown as ``<5``. Zero may be shown.
2. **Secondary suppression**: no suppressed figure may be worked out from what is
   shown. The reader is assumed to know every relation and what the marks mean: a
   ``<5`` is between 1 and 4, an ``x`` (secondary) is at least 5. From that the audit
   narrows every hidden figure to an interval by propagating the bounds through all the
   relations until nothing changes (interval constraint propagation). A publication is
   safe when
   - no hidden figure's interval is a single value (not recoverable, also not across
     tables or through a chain of relations), and
   - no relation whose total is shown leaves a difference ``total - shown parts`` from
     1 to ``min_count - 1`` (the hidden parts together would be a small count).
   While it is not safe, one more figure of the offending relation is hidden (the
   smallest non-zero one, parts before totals), and the audit runs again. When a
   figure is pinned and an ``x`` around it says "at least 5" (``<5 + x + <5 = 7``
   makes the ``x`` 5 and both ``<5`` 1), that ``x`` is first *withheld* (``·``), which
   hides nothing more. When no
   shown figure is left to hide there, a total of the relation is *withheld* (``·``:
   nothing is said about it), then its parts. Each round changes one figure's state for
   good, so it ends.

The module is pure Python (no Django) so that it can be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SHOWN = "shown"
PRIMARY = "primary"
SECONDARY = "secondary"
WITHHELD = "withheld"

#: The mark of a secondary suppression (a figure of at least ``min_count`` hidden so that
#: a small one cannot be worked out). The primary mark is ``<min_count``.
SECONDARY_MARK = "x"
#: The mark of a withheld figure: not published, and the mark says nothing about it
#: (it may be 0, small or large). Only used when the marks themselves would give a
#: figure away, e.g. four cells of 1 under a total of 4: every figure is "<5", yet
#: "four cells of at least 1 make at most 4" pins each to 1; withholding the totals
#: ends that.
WITHHELD_MARK = "·"

_INF = float("inf")


@dataclass
class Relation:
    total: str
    parts: tuple[str, ...]


@dataclass
class Publication:
    """Figures and their relations; :meth:`suppress` decides what is hidden."""

    min_count: int = 5
    values: dict[str, int] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)

    # ----------------------------------------------------------------- building

    def add(self, key: str, value: int) -> str:
        """Declare a figure. The same key twice must carry the same value (it is the
        same figure shown in two places)."""
        value = int(value)
        if value < 0:
            raise ValueError(f"negative count for {key!r}")
        if key in self.values and self.values[key] != value:
            raise ValueError(f"{key!r} declared as {self.values[key]} and {value}")
        self.values[key] = value
        self.states.pop(key, None)
        return key

    def relate(self, total: str, parts) -> None:
        """Declare ``total = sum(parts)`` (all keys declared before)."""
        parts = tuple(parts)
        for key in (total, *parts):
            if key not in self.values:
                raise KeyError(key)
        if sum(self.values[p] for p in parts) != self.values[total]:
            raise ValueError(f"{total!r} is not the sum of its parts")
        if parts:
            self.relations.append(Relation(total, parts))

    # ----------------------------------------------------------------- suppression

    def suppress(self) -> dict[str, str]:
        """Decide the state of every figure (``shown``, ``primary``, ``secondary``)."""
        states = {key: (PRIMARY if 0 < value < self.min_count else SHOWN) for key, value in self.values.items()}
        while True:
            problem = self._first_problem(states)
            if problem is None:
                break
            relations = self._relations_of(problem)
            if problem[0] == "pinned":
                # An "x" says "at least 5", which may be what pins a figure: withholding
                # that mark ("·") hides nothing more, so it comes first.
                marked = [problem[1]] if states[problem[1]] == SECONDARY else [
                    key for r in relations for key in (*r.parts, r.total) if states[key] == SECONDARY]
                if marked:
                    states[marked[0]] = WITHHELD
                    continue
            pick = self._pick(states, relations)
            if pick is not None:
                states[pick] = SECONDARY
                continue
            pick = self._pick_withheld(states, relations)
            if pick is None:  # everything around the problem is withheld already: withhold all
                states = dict.fromkeys(self.values, WITHHELD)
                break
            states[pick] = WITHHELD
        self.states = states
        return states

    def bounds(self, states: dict[str, str] | None = None) -> dict[str, tuple[float, float]]:
        """What a reader can deduce about each figure: (lowest, highest) possible value."""
        states = self.states if states is None else states
        low: dict[str, float] = {}
        high: dict[str, float] = {}
        for key, value in self.values.items():
            state = states.get(key, SHOWN)
            if state == SHOWN:
                low[key] = high[key] = value
            elif state == PRIMARY:
                low[key], high[key] = 1, self.min_count - 1
            elif state == SECONDARY:
                low[key], high[key] = self.min_count, _INF
            else:
                low[key], high[key] = 0, _INF
        changed = True
        while changed:
            changed = False
            for relation in self.relations:
                changed |= _propagate(relation, low, high)
        return {key: (low[key], high[key]) for key in self.values}

    def _first_problem(self, states):
        """The first reason the publication is not safe: ("pinned", key) or
        ("difference", relation); None when it is safe."""
        for relation in self.relations:
            if states[relation.total] != SHOWN:
                continue
            hidden = [p for p in relation.parts if states[p] != SHOWN]
            if not hidden:
                continue
            difference = self.values[relation.total] - sum(
                self.values[p] for p in relation.parts if states[p] == SHOWN
            )
            if 0 < difference < self.min_count or len(hidden) == 1:
                return ("difference", relation)
        for key, (low, high) in self.bounds(states).items():
            if states[key] != SHOWN and low == high and self.values[key] > 0:
                return ("pinned", key)
        return None

    def _relations_of(self, problem) -> list[Relation]:
        kind, subject = problem
        if kind == "difference":
            return [subject]
        return [r for r in self.relations if subject == r.total or subject in r.parts]

    def _pick(self, states, relations) -> str | None:
        """The shown figure to hide next: the smallest non-zero one, parts before totals."""
        candidates = []
        for relation in relations:
            for rank, keys in ((0, relation.parts), (1, (relation.total,))):
                for key in keys:
                    if states[key] == SHOWN and self.values[key] > 0:
                        candidates.append((self.values[key], rank, key))
        return min(candidates)[2] if candidates else None

    def _pick_withheld(self, states, relations) -> str | None:
        """The figure to withhold next: the nearest total not withheld yet
        (the problem's own relations, then the relations sharing a figure with those, and
        so on), largest relation first; only when every connected total is withheld, a part."""
        seen = {id(r) for r in relations}
        level = list(relations)
        while level:
            for relation in sorted(level, key=lambda r: -len(r.parts)):
                if states[relation.total] != WITHHELD:
                    return relation.total
            members = {key for r in level for key in (r.total, *r.parts)}
            level = [r for r in self.relations if id(r) not in seen
                     and (r.total in members or members.intersection(r.parts))]
            seen.update(id(r) for r in level)
        for relation in relations:
            for key in relation.parts:
                if states[key] != WITHHELD:
                    return key
        return None

    # ----------------------------------------------------------------- reading

    def state(self, key: str) -> str:
        if not self.states:
            self.suppress()
        return self.states[key]

    def visible(self, key: str) -> int | None:
        """The figure if it is shown, else None."""
        return self.values[key] if self.state(key) == SHOWN else None

    def display(self, key: str) -> str:
        state = self.state(key)
        if state == SHOWN:
            return str(self.values[key])
        if state == PRIMARY:
            return f"<{self.min_count}"
        if state == SECONDARY:
            return SECONDARY_MARK
        return WITHHELD_MARK


def _propagate(relation: Relation, low: dict, high: dict) -> bool:
    """Narrow the bounds of ``relation``'s figures once; True when anything changed."""
    changed = False
    parts = relation.parts
    sum_low = sum(low[p] for p in parts)
    sum_high = sum(high[p] for p in parts)
    total = relation.total
    if sum_low > low[total]:
        low[total] = sum_low
        changed = True
    if sum_high < high[total]:
        high[total] = sum_high
        changed = True
    for part in parts:
        others_high = sum(high[p] for p in parts if p != part)
        others_low = sum_low - low[part]
        if others_high != _INF and low[total] - others_high > low[part]:
            low[part] = low[total] - others_high
            changed = True
        if high[total] != _INF and high[total] - others_low < high[part]:
            high[part] = high[total] - others_low
            changed = True
    return changed

