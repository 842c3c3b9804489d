"""Small-cell suppression of the published statistics (domain.md §4.8).

A *publication* is every number one page (or its CSV) shows: named quantities (a table
cell, a row or column total, a grand total) and the additive relations between them
(``total = part + part + ...``: a table's rows, its columns, and a figure that is the sum
of figures in another table, e.g. "founded" = "level 2" + "level 3"). The rules:

1. **Primary suppression**: a count from 1 to ``min_count - 1`` is never shown; it is
   shown as ``<5``. Zero may be shown.
2. **Difference rule**: a relation whose total is shown never has exactly one hidden
   part, and leaves for its hidden parts together (``total - shown parts``) 0 or at least
   ``min_count``, never a small count.
3. **Protection** (the audit): the reader is assumed to know every shown figure, every
   relation and what the marks mean (``<5``: 1 to ``min_count - 1``; ``x``: at least
   ``min_count``; ``·``: nothing, at least 0), and to combine all of them at once, across
   tables and through any chain of relations. What such a reader can work out about a
   hidden figure is the range of values it takes over all tables of non-negative whole
   numbers consistent with everything published: its minimum and maximum, found by linear
   programming (HiGHS, ``scipy.optimize.linprog``). The rule: **every hidden figure with a
   non-zero value keeps a range at least the protection level wide** (maximum minus
   minimum), and the protection level is ``min_count - 2`` (at least 1): **3** with the
   default ``min_count`` of 5. That means:

   - a ``<5`` keeps its whole range: every value from 1 to 4 stays possible, so the
     reader learns nothing beyond what the mark says; never one value ("it is 1"), never
     a narrower range ("2 or 3", "3 or 4"). This is the most any marked small count can
     have, and what a data-protection officer can sign without weighing probabilities.
   - a withheld (``·``) small count is at least as uncertain as a ``<5``: never pinned,
     never narrowed below four possible values. It may be deducible that it is 1 to 4,
     but only with all of 1..4 possible, which is exactly what a ``<5`` says openly.
   - an ``x`` or a withheld large figure keeps at least four possible values too. Its
     value could have been shown, but a hidden figure is not "almost" computable (a
     hidden 27 known to be 27 or 28), and the level is what an ``x`` beside a ``<5``
     naturally has (``<5 + x = 10``: the ``x`` is 6 to 9).
   - a zero has no requirement (a zero may be shown).

   The difference rule (2.) adds protection for the hidden parts of one relation taken
   together; sums of hidden figures across several relations are not audited as groups.

   **Integrality.** The reader's tables are whole numbers, the linear program's are real.
   The real minimum and maximum bound the whole-number ones from outside, so they could
   claim protection a whole-number reader does not face: this does happen in linked
   tables (a real minimum of 7 where whole numbers give 8; see the tests). The audit
   therefore only accepts a bound attained by a whole-number table. HiGHS's simplex
   answers with a vertex of the polyhedron; when that vertex is whole (always for a
   one-way table, and for a two-way table with its margins, whose constraint matrices are
   totally unimodular; in practice also for the statistics page), the real bound *is* the
   whole-number bound; when it is not, the bound is computed again as an integer program
   (HiGHS's branch and bound, ``scipy.optimize.milp``). Every bound the audit uses, and
   what :meth:`Publication.bounds` returns, is thus exact for whole-number tables (equal
   to the linear program's bound wherever its optimal vertex is whole). The rule is about
   the range; a linked publication could in principle leave a value inside it that whole
   numbers cannot take, which the audit does not look for (as is usual in auditing cell
   suppression).

   Hidden figures that share no relation are audited apart (independent linear programs,
   shown figures moved to the right-hand side). Where only one relation links them (a
   one-way table with a shown total, say) the bounds are worked out in closed form: each
   figure is the total less the others, whose sum takes every whole number between its
   extremes.

While a rule is broken, one figure's state changes, and everything is checked again:

- A relation breaking the difference rule: its smallest non-zero shown figure is hidden
  (``x``), parts before totals; if none is left, a total is *withheld* (``·``), the
  nearest first, then a part.
- A figure that is not protected: the linear program that bounds it tells which
  published facts it leans on (the non-zero duals of its optimum). Of those, the one
  whose loss says least goes first, a mark before a number: an ``x`` whose "at least 5"
  is used is withheld; else a ``<5`` that is used is withheld (``·``), totals before
  cells (typically a small total of small cells: two ``<5`` cells under a ``<5`` total
  are each at most 3); else the smallest non-zero shown figure is hidden (``x``), parts
  before totals; else a shown 0 is withheld. (If the duals name nothing, the figure's own
  relations are used as for the difference rule.)

Each round moves one figure one way only (shown → ``x`` → ``·``, ``<5`` → ``·``, shown 0 →
``·``), so it ends; withholding everything is always safe. Every round only relaxes what
the reader knows, so a figure once shown to be protected stays protected: the audit keeps
the whole-number tables it has found (each widens the known range of every figure in it)
and checks each figure at most until it is protected.

The module has no Django in it (NumPy and SciPy only) so that it can be tested on its own.
"""

from __future__ import annotations

import copy
import functools
import logging
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

logger = logging.getLogger(__name__)


class AuditUnavailable(RuntimeError):
    """The solver returned neither an optimum nor unboundedness for a bound."""


SHOWN = "shown"
PRIMARY = "primary"
SECONDARY = "secondary"
WITHHELD = "withheld"

#: The mark of a secondary suppression (a figure of at least ``min_count`` hidden so that
#: a small one cannot be worked out). The primary mark is ``<min_count``.
SECONDARY_MARK = "x"
#: The mark of a withheld figure: not published, and the mark says nothing about it
#: (it may be 0, small or large). Used when the marks themselves would give a figure
#: away, e.g. four cells of 1 under a total of 4: every figure is "<5", yet "four cells
#: of at least 1 make at most 4" pins each to 1; withholding the totals ends that.
WITHHELD_MARK = "·"

_INF = float("inf")
#: How far from a whole number a solver's value may be and still count as that number,
#: and how large a dual must be to count as non-zero.
_TOLERANCE = 1e-6


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
    #: What the last :meth:`suppress` learnt (its final states, and the audit's knowledge).
    _audit: tuple | None = field(default=None, init=False, repr=False, compare=False)

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
        self._audit = None
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
            self._audit = None

    # ----------------------------------------------------------------- suppression

    def suppress(self) -> dict[str, str]:
        """Decide the state of every figure (``shown``, ``primary``, ``secondary``,
        ``withheld``). The decision depends on the figures and relations only, and the
        statistics page and its CSV are built on each request from a store that changes
        only when it is refreshed: the last few decisions are kept (:func:`_decided`)."""
        states, knowledge = _decided(self.min_count, tuple(self.values.items()),
                                     tuple((r.total, r.parts) for r in self.relations))
        self.states = dict(states)
        self._audit = (dict(states), knowledge)
        return self.states

    def _decide(self) -> tuple[dict[str, str], _Knowledge]:
        try:
            return self._decide_audited()
        except AuditUnavailable:
            # The solver could not prove the table safe: publish none of its figures
            # rather than an unaudited one (the page shows "·" throughout, never an error).
            logger.exception("statistics suppression: the audit failed; every figure is withheld")
            return dict.fromkeys(self.values, WITHHELD), _Knowledge(self)

    def _decide_audited(self) -> tuple[dict[str, str], _Knowledge]:
        states = {key: (PRIMARY if 0 < value < self.min_count else SHOWN) for key, value in self.values.items()}
        knowledge = _Knowledge(self)
        while True:
            relation = self._difference_problem(states)
            if relation is not None:
                relations, binding = [relation], []
            else:
                exposure = _Reader(self, states, knowledge).first_exposure()
                if exposure is None:
                    break
                key, binding = exposure
                relations = [r for r in self.relations if key == r.total or key in r.parts]
            step = self._step(states, binding) or self._relation_step(states, relations)
            if step is None:  # everything around the problem is withheld already: withhold all
                states = dict.fromkeys(self.values, WITHHELD)
                break
            key, state = step
            states[key] = state
        return states, knowledge

    @property
    def protection(self) -> int:
        """The protection level: how far apart the lowest and the highest value a reader
        can deduce for a hidden figure must at least be (see the module docstring)."""
        return max(1, self.min_count - 2)

    def bounds(self, states: dict[str, str] | None = None) -> dict[str, tuple[float, float]]:
        """What a reader can deduce about each figure: (lowest, highest) value over all
        tables of non-negative whole numbers consistent with what is published (``inf``
        when there is no highest)."""
        states = self.states if states is None else states
        states = {key: states.get(key, SHOWN) for key in self.values}
        # What suppress() learnt holds for its final states (whole-number tables consistent with them).
        if self._audit is not None and self._audit[0] == states:
            knowledge = self._audit[1].copy()
        else:
            knowledge = _Knowledge(self)
        return _Reader(self, states, knowledge).bounds()

    def _difference_problem(self, states) -> Relation | None:
        """The first relation with a shown total that breaks the difference rule."""
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
                return relation
        return None

    def _step(self, states, binding) -> tuple[str, str] | None:
        """The next change among the published facts that a figure which is not
        protected leans on, the one that says least first (a mark says less than a
        number): an "x" withheld; a "<5" withheld, totals before cells; a shown figure
        hidden ("x"), the smallest first, parts before totals; a shown 0 withheld."""
        order = {key: index for index, key in enumerate(self.values)}
        totals = self._totals()
        marked = [key for key in binding if states[key] == SECONDARY]
        if marked:
            return min(marked, key=lambda k: (self.values[k], order[k])), WITHHELD
        small = [key for key in binding if states[key] == PRIMARY]
        if small:
            return min(small, key=lambda k: (-totals.get(k, 0), order[k])), WITHHELD
        shown = [key for key in binding if states[key] == SHOWN and self.values[key] > 0]
        if shown:
            return min(shown, key=lambda k: (self.values[k], k in totals, order[k])), SECONDARY
        zeros = [key for key in binding if states[key] == SHOWN]
        if zeros:
            return min(zeros, key=lambda k: order[k]), WITHHELD
        return None

    def _relation_step(self, states, relations) -> tuple[str, str] | None:
        pick = self._pick(states, relations)
        if pick is not None:
            return pick, SECONDARY
        pick = self._pick_withheld(states, relations)
        return None if pick is None else (pick, WITHHELD)

    def _totals(self) -> dict[str, int]:
        """Every figure that is the total of a relation: its largest relation's size."""
        totals: dict[str, int] = {}
        for relation in self.relations:
            totals[relation.total] = max(totals.get(relation.total, 0), len(relation.parts))
        return totals

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


@functools.lru_cache(maxsize=32)
def _decided(min_count: int, values: tuple, relations: tuple) -> tuple[dict[str, str], _Knowledge]:
    """:meth:`Publication.suppress`'s decision for these figures and relations (kept;
    the caller copies what it keeps)."""
    publication = Publication(min_count=min_count, values=dict(values),
                              relations=[Relation(total, parts) for total, parts in relations])
    states, knowledge = publication._decide()
    return dict(states), knowledge


# --------------------------------------------------------------------------- the audit


class _Knowledge:
    """What the audit has established while :meth:`Publication.suppress` runs: for each
    figure the lowest and highest value seen in a whole-number table consistent with
    what is published (the true table is one), and the figures shown to be protected.
    Both stay true from round to round, as each round only hides more."""

    def __init__(self, pub: Publication):
        self.low: dict[str, float] = dict(pub.values)
        self.high: dict[str, float] = dict(pub.values)
        self.protected: set[str] = set()

    def copy(self) -> _Knowledge:
        other = copy.copy(self)
        other.low, other.high, other.protected = dict(self.low), dict(self.high), set(self.protected)
        return other

    def settle(self, key, direction, value) -> None:
        """``value`` is the exact minimum (-1) or maximum (+1) of ``key``."""
        if direction > 0:
            self.high[key] = max(self.high[key], value)
        else:
            self.low[key] = min(self.low[key], value)

    def learn(self, keys, table) -> None:
        for key, value in zip(keys, table, strict=True):
            if value < self.low[key]:
                self.low[key] = value
            if value > self.high[key]:
                self.high[key] = value


@dataclass
class _Component:
    """Hidden figures linked by relations, and those relations as ``matrix @ x = rhs``
    (shown figures moved to the right-hand side)."""

    keys: list[str]
    matrix: np.ndarray
    rhs: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    shown: list[dict[str, int]]  # per row: the shown figures' coefficients

    @property
    def one_row(self) -> bool:
        """A single relation with coefficients +-1 (a one-way table, or a row of a
        table whose other rows are shown): solved in closed form."""
        return self.matrix.shape[0] == 1 and bool(np.all(np.abs(self.matrix) == 1))


@dataclass
class _Optimum:
    value: float  # +-inf when unbounded
    binding: list[str]  # the published facts the optimum leans on (figures' keys)


class _Reader:
    """The reader's linear programs for one set of states: a variable for each hidden
    figure, bounded by its mark, an equation for each relation with a hidden figure,
    split into independent components."""

    def __init__(self, pub: Publication, states: dict[str, str], knowledge: _Knowledge):
        self.pub, self.states, self.knowledge = pub, states, knowledge
        m = pub.min_count
        marks = {PRIMARY: (1, m - 1), SECONDARY: (m, _INF), WITHHELD: (0, _INF)}
        hidden = [key for key in pub.values if states[key] != SHOWN]
        self.mark = {key: marks[states[key]] for key in hidden}
        parent = {key: key for key in hidden}

        def root(key):
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        rows = []
        for relation in pub.relations:
            coefficients: dict[str, int] = {relation.total: 1}
            for part in relation.parts:
                coefficients[part] = coefficients.get(part, 0) - 1
            variables = {k: c for k, c in coefficients.items() if c and states[k] != SHOWN}
            if not variables:
                continue
            shown = {k: c for k, c in coefficients.items() if c and states[k] == SHOWN}
            rows.append((variables, shown))
            first, *others = variables
            for other in others:
                parent[root(other)] = root(first)
        members: dict[str, list[str]] = {}
        for key in hidden:
            members.setdefault(root(key), []).append(key)
        row_lists: dict[str, list] = {}
        for variables, shown in rows:
            row_lists.setdefault(root(next(iter(variables))), []).append((variables, shown))
        self.components: dict[str, _Component] = {}
        for top, comp_rows in row_lists.items():
            keys = members[top]
            index = {key: i for i, key in enumerate(keys)}
            matrix = np.zeros((len(comp_rows), len(keys)))
            rhs = np.zeros(len(comp_rows))
            for r, (variables, shown) in enumerate(comp_rows):
                for key, coefficient in variables.items():
                    matrix[r, index[key]] = coefficient
                rhs[r] = -sum(c * pub.values[k] for k, c in shown.items())
            component = _Component(
                keys=keys, matrix=matrix, rhs=rhs,
                lower=np.array([self.mark[k][0] for k in keys], dtype=float),
                upper=np.array([self.mark[k][1] for k in keys], dtype=float),
                shown=[shown for _variables, shown in comp_rows],
            )
            for key in keys:
                self.components[key] = component

    # ----------------------------------------------------------------- protection

    def first_exposure(self) -> tuple[str, list[str]] | None:
        """The first hidden figure that is not protected, with the published facts that
        pin it; None when every hidden figure is protected."""
        knowledge = self.knowledge
        for key in self.mark:
            if key in knowledge.protected or self.pub.values[key] == 0:
                continue
            component = self.components.get(key)
            exposed = self._exposure(key, component)
            if exposed is not None:
                return key, exposed
            knowledge.protected.add(key)
        return None

    def _wide_enough(self, key) -> bool:
        return self.knowledge.high[key] - self.knowledge.low[key] >= self.pub.protection

    def _exposure(self, key, component) -> list[str] | None:
        """None when ``key`` is protected, else the published facts that pin it."""
        low, high = self.mark[key]
        if component is None:  # in no relation with a hidden figure: only its mark is known
            return None if high - low >= self.pub.protection else [key]
        binding: list[str] = []
        for direction, limit in ((1, high), (-1, low)):
            if self._wide_enough(key):
                return None
            known = self.knowledge.high[key] if direction > 0 else self.knowledge.low[key]
            if known != limit:
                binding += self._optimise(component, key, direction).binding
        # Nothing else named: its own mark is what narrows it (a "<2" is 1).
        return None if self._wide_enough(key) else (binding or [key])

    def _optimise(self, component: _Component, key: str, direction: int) -> _Optimum:
        """The exact minimum (-1) or maximum (+1) of ``key`` over whole-number tables,
        learning the table that attains it, and the facts the optimum leans on."""
        if component.one_row:
            optimum = self._row_optimum(component, key, direction)
            self.knowledge.settle(key, direction, optimum.value)
            return optimum
        n = len(component.keys)
        objective = np.zeros(n)
        objective[component.keys.index(key)] = -float(direction)
        bounds = np.column_stack([component.lower, component.upper])
        result = linprog(objective, A_eq=component.matrix, b_eq=component.rhs, bounds=bounds, method="highs")
        if result.status == 3:  # unbounded (the true table is feasible, so there is a whole-number ray)
            self.knowledge.settle(key, direction, direction * _INF)
            return _Optimum(value=direction * _INF, binding=[])
        if result.status != 0:
            raise AuditUnavailable(f"suppression audit: {result.message}")
        table = _whole(result.x)
        if table is None:  # a fractional vertex: the whole-number optimum may be tighter
            exact = milp(objective, constraints=LinearConstraint(component.matrix, component.rhs, component.rhs),
                         integrality=np.ones(n), bounds=Bounds(component.lower, component.upper),
                         options={"mip_rel_gap": 0})
            if exact.status != 0:
                raise AuditUnavailable(f"suppression audit: {exact.message}")
            table = np.round(exact.x)
        self.knowledge.learn(component.keys, table)
        return _Optimum(value=table[component.keys.index(key)], binding=self._binding(component, result))

    def _row_optimum(self, component: _Component, key: str, direction: int) -> _Optimum:
        """The minimum or maximum of ``key`` in a one-row component, in closed form:
        ``sum(a * x) = b`` with every ``a`` +-1 and whole-number limits, so ``key`` is
        ``a_key * (b - others)`` and the others' sum takes every whole number between its
        extremes. Exact for whole numbers; the facts used are the row's shown figures and
        the others' limits that the extreme uses (as the duals would name them)."""
        coefficients, rhs = component.matrix[0], component.rhs[0]
        i = component.keys.index(key)
        use_low = direction * coefficients[i] > 0  # the others' sum at its lowest
        others, used = 0.0, []
        for j, other in enumerate(component.keys):
            if j == i:
                continue
            positive = coefficients[j] > 0
            limit = component.lower[j] if positive == use_low else component.upper[j]
            others += limit if positive else -limit
            if 0 < limit < _INF:
                used.append(other)
        own = component.upper[i] if direction > 0 else component.lower[i]
        if abs(others) == _INF:  # the others are unbounded that way, so is this one (up to its mark)
            return _Optimum(value=own, binding=[])
        value = coefficients[i] * (rhs - others)
        if direction * (value - own) >= 0:  # its own mark's limit comes first
            return _Optimum(value=own, binding=[key])
        return _Optimum(value=value, binding=[*component.shown[0], *used])

    def _binding(self, component: _Component, result) -> list[str]:
        """The published facts with a non-zero dual: shown figures (through the
        relations they are in) and marks whose limit is reached."""
        binding = []
        duals = result.eqlin.marginals
        sensitivity: dict[str, float] = {}
        for row, shown in enumerate(component.shown):
            for key, coefficient in shown.items():
                sensitivity[key] = sensitivity.get(key, 0.0) + duals[row] * coefficient
        binding.extend(key for key, value in sensitivity.items() if abs(value) > _TOLERANCE)
        for i, key in enumerate(component.keys):
            lower_used = abs(result.lower.marginals[i]) > _TOLERANCE and self.states[key] != WITHHELD
            if lower_used or abs(result.upper.marginals[i]) > _TOLERANCE:
                binding.append(key)
        return binding

    # ----------------------------------------------------------------- bounds

    def bounds(self) -> dict[str, tuple[float, float]]:
        result: dict[str, tuple[float, float]] = {}
        for key, value in self.pub.values.items():
            if key not in self.mark:
                result[key] = (value, value)
                continue
            component = self.components.get(key)
            low, high = self.mark[key]
            if component is not None:
                if self.knowledge.low[key] > low:
                    low = self._optimise(component, key, -1).value
                if self.knowledge.high[key] < high:
                    high = self._optimise(component, key, 1).value
            result[key] = (_number(low), _number(high))
        return result


def _whole(x) -> np.ndarray | None:
    """``x`` rounded, if every entry is a whole number (within the solver's tolerance)."""
    rounded = np.round(x)
    return rounded if np.all(np.abs(x - rounded) <= _TOLERANCE) else None


def _number(value: float) -> float:
    return value if value == _INF else int(value)
