"""Small-cell suppression (caseflow.reports.suppression), without a database.

The property tests check the published figures the way a reader would attack them:
every shown figure is 0 or at least 5, no relation with a shown total leaves a
difference from 1 to 4, and, checked by brute force over every table a reader could
believe in (each hidden cell anywhere its mark allows), every hidden non-zero cell keeps
at least the protection level (3) between its lowest and highest possible value. The
audit's bounds (linear programs) are checked against brute force as well.
"""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from caseflow.reports.suppression import PRIMARY, SECONDARY, SHOWN, WITHHELD, Publication

MIN = 5


def grid_publication(grid):
    """A table with row totals, column totals and a grand total."""
    pub = Publication(min_count=MIN)
    rows, cols = len(grid), len(grid[0])
    for i in range(rows):
        for j in range(cols):
            pub.add(f"c{i}.{j}", grid[i][j])
        pub.add(f"r{i}", sum(grid[i]))
        pub.relate(f"r{i}", [f"c{i}.{j}" for j in range(cols)])
    for j in range(cols):
        pub.add(f"k{j}", sum(grid[i][j] for i in range(rows)))
        pub.relate(f"k{j}", [f"c{i}.{j}" for i in range(rows)])
    pub.add("g", sum(map(sum, grid)))
    pub.relate("g", [f"r{i}" for i in range(rows)])
    pub.relate("g", [f"k{j}" for j in range(cols)])
    return pub


def shown_values_are_safe(pub):
    for key in pub.values:
        if pub.state(key) == SHOWN:
            assert not 0 < pub.values[key] < MIN, key
        elif pub.state(key) == WITHHELD:
            assert pub.display(key) == "·"
        else:
            assert pub.values[key] > 0, f"a zero was marked as hidden: {key}"
            assert pub.display(key) == ("<5" if pub.values[key] < MIN else "x")


def differences_are_safe(pub):
    """Every relation whose total is shown: total minus the shown parts is 0 or >= 5,
    and never the value of a single hidden part."""
    for relation in pub.relations:
        if pub.state(relation.total) != SHOWN:
            continue
        hidden = [p for p in relation.parts if pub.state(p) != SHOWN]
        difference = pub.values[relation.total] - sum(
            pub.values[p] for p in relation.parts if pub.state(p) == SHOWN)
        assert difference == 0 or difference >= MIN, (relation, difference)
        assert len(hidden) != 1, relation


def brute_force_possible_values(grid, pub, cap):
    """For each hidden cell of the grid, every value it can take in some table that
    matches everything shown (shown figures exactly, "<5" as 1-4, "x" as 5..cap)."""
    rows, cols = len(grid), len(grid[0])

    def allowed(key):
        state = pub.state(key)
        if state == SHOWN:
            return range(pub.values[key], pub.values[key] + 1)
        if state == PRIMARY:
            return range(1, MIN)
        if state == SECONDARY:
            return range(MIN, cap + 1)
        return range(0, cap + 1)

    def ok(key, value):
        state = pub.state(key)
        if state == SHOWN:
            return value == pub.values[key]
        if state == PRIMARY:
            return 1 <= value < MIN
        if state == SECONDARY:
            return value >= MIN
        return True

    def upper(key):
        state = pub.state(key)
        if state == SHOWN:
            return pub.values[key]
        return MIN - 1 if state == PRIMARY else cap * rows

    row_options = []
    for i in range(rows):
        ranges = [allowed(f"c{i}.{j}") for j in range(cols)]
        row_options.append([combo for combo in itertools.product(*ranges) if ok(f"r{i}", sum(combo))])
    possible = {(i, j): set() for i in range(rows) for j in range(cols) if pub.state(f"c{i}.{j}") != SHOWN}

    def walk(i, chosen, column_sums):
        if i == rows:
            if all(ok(f"k{j}", column_sums[j]) for j in range(cols)) and ok("g", sum(column_sums)):
                for (r, c) in possible:
                    possible[(r, c)].add(chosen[r][c])
            return
        for combo in row_options[i]:
            sums = [column_sums[j] + combo[j] for j in range(cols)]
            if any(sums[j] > upper(f"k{j}") for j in range(cols)):
                continue
            walk(i + 1, [*chosen, combo], sums)

    walk(0, [], [0] * cols)
    return possible


def brute_force_ranges(pub, cap):
    """Every figure's (lowest, highest) value over all tables a reader could believe in,
    by enumerating the figures that are no relation's total (the others are sums of
    them): shown ones as shown, "<5" as 1-4, "x" as 5..cap, "·" as 0..cap. Exact when
    no extreme needs a figure above ``cap``."""
    totals = {r.total: r.parts for r in pub.relations}
    base = [key for key in pub.values if key not in totals]

    def allowed(key):
        state = pub.state(key)
        if state == SHOWN:
            return range(pub.values[key], pub.values[key] + 1)
        if state == PRIMARY:
            return range(1, MIN)
        return range(MIN if state == SECONDARY else 0, cap + 1)

    def value(key, table):
        if key not in table:
            table[key] = sum(value(part, table) for part in totals[key])
        return table[key]

    low, high = {}, {}
    for combo in itertools.product(*(allowed(key) for key in base)):
        table = dict(zip(base, combo, strict=True))
        if all(value(r.total, table) == sum(value(p, table) for p in r.parts) for r in pub.relations) and all(
            value(key, table) in allowed(key) or (pub.state(key) != SHOWN and pub.state(key) != PRIMARY
                                                  and value(key, table) > cap)
            for key in pub.values
        ):
            for key, number in table.items():
                low[key], high[key] = min(low.get(key, number), number), max(high.get(key, number), number)
    return {key: (low[key], high[key]) for key in pub.values}


# --------------------------------------------------------------------------- examples


def test_small_cell_is_shown_as_less_than_five_and_a_second_cell_is_hidden():
    pub = Publication(min_count=MIN)
    for key, value in (("a", 3), ("b", 10), ("c", 7)):
        pub.add(key, value)
    pub.add("t", 20)
    pub.relate("t", ["a", "b", "c"])
    pub.suppress()
    assert pub.display("a") == "<5"
    # The next smallest non-zero cell goes too, so 20 - 10 = 10 is the sum of two cells.
    assert pub.display("c") == "x"
    assert pub.display("b") == "10"
    assert pub.display("t") == "20"


def test_zero_is_shown_and_never_used_as_secondary_cell():
    pub = Publication(min_count=MIN)
    for key, value in (("a", 2), ("b", 0), ("c", 9)):
        pub.add(key, value)
    pub.add("t", 11)
    pub.relate("t", ["a", "b", "c"])
    pub.suppress()
    assert pub.display("b") == "0"
    assert pub.state("c") == SECONDARY


def test_two_small_cells_whose_sum_is_small_are_not_left_alone():
    # 10 = 6 + 2 + 2: hiding only the two 2s would leave 10 - 6 = 4 people in them together.
    pub = Publication(min_count=MIN)
    for key, value in (("a", 2), ("b", 2), ("c", 6)):
        pub.add(key, value)
    pub.add("t", 10)
    pub.relate("t", ["a", "b", "c"])
    pub.suppress()
    differences_are_safe(pub)
    assert pub.state("c") == SECONDARY


def test_only_one_non_zero_cell_hides_the_total_as_well():
    pub = Publication(min_count=MIN)
    for key, value in (("a", 3), ("b", 0)):
        pub.add(key, value)
    pub.add("t", 3)
    pub.relate("t", ["a", "b"])
    pub.suppress()
    assert pub.display("a") == "<5"
    assert pub.display("t") == "<5"
    # The reader learns only that a and t are equal and between 1 and 4.
    assert pub.bounds()["a"] == (1, 4)


def test_a_small_count_is_never_narrowed_inside_its_mark():
    # 7 = 3 + 4 with both "<5" and 7 shown: each would be 3 or 4 (7 minus at most 4). Not
    # pinned, yet narrower than "<5" says. Withholding one mark (a mark says less than
    # the total) leaves the other 1..4 and the withheld one 3..6.
    pub = Publication(min_count=MIN)
    for key, value in (("a", 3), ("b", 4), ("t", 7)):
        pub.add(key, value)
    pub.relate("t", ["a", "b"])
    pub.suppress()
    assert pub.protection == 3
    assert [pub.display(key) for key in ("a", "b", "t")] == ["·", "<5", "7"]
    assert pub.bounds() == {"a": (3, 6), "b": (1, 4), "t": (7, 7)}


def test_the_hypothesis_counterexample_is_protected():
    # The interval propagation let the last cell (1) be worked out from the margins and
    # the grand total (7) although no single relation pinned it.
    grid = [[0, 0, 1], [0, 0, 2], [1, 2, 1]]
    pub = grid_publication(grid)
    pub.suppress()
    bounds = pub.bounds()
    assert pub.display("c2.2") == "<5"
    for key, (low, high) in bounds.items():
        if pub.state(key) == PRIMARY:
            assert (low, high) == (1, 4), key
        elif pub.state(key) != SHOWN and pub.values[key]:
            assert high - low >= pub.protection, key


def test_a_figure_that_is_a_cell_here_and_a_total_there_is_protected_in_both():
    # founded = level 2 + level 3; founded is also a cell of founded + not founded = all.
    pub = Publication(min_count=MIN)
    for key, value in (("all", 30), ("founded", 7), ("not_founded", 23), ("level2", 4), ("level3", 3)):
        pub.add(key, value)
    pub.relate("all", ["founded", "not_founded"])
    pub.relate("founded", ["level2", "level3"])
    pub.suppress()
    # Both levels "<5" under a shown 7 would make each 3 or 4 (7 - (1..4)), narrower
    # than the mark: one mark is withheld instead (before the audit by linear
    # programming both stayed "<5", as 3..4 was not a single value).
    assert pub.display("level2") == "<5"
    assert pub.display("level3") == "·"
    assert pub.display("founded") == "7"
    lows_highs = pub.bounds()
    assert lows_highs["level2"] == (1, 4)
    assert lows_highs["level3"] == (3, 6)


def test_marks_that_would_pin_cells_withhold_the_totals():
    # Four cells of 1 under a total of 4: every figure is "<5", yet four cells of at
    # least 1 that make at most 4 would each be 1. The totals are withheld instead.
    pub = grid_publication([[1, 1], [1, 1]])
    pub.suppress()
    assert {pub.display(f"c{i}.{j}") for i in (0, 1) for j in (0, 1)} == {"<5"}
    assert pub.display("g") == "·"
    assert all(low < high for key, (low, high) in pub.bounds().items() if key.startswith("c"))


def test_same_key_twice_must_carry_the_same_value():
    pub = Publication(min_count=MIN)
    pub.add("a", 3)
    pub.add("a", 3)
    with pytest.raises(ValueError, match="declared"):
        pub.add("a", 4)


def test_relation_that_does_not_add_up_is_refused():
    pub = Publication(min_count=MIN)
    pub.add("a", 3)
    pub.add("t", 4)
    with pytest.raises(ValueError, match="sum"):
        pub.relate("t", ["a"])


# --------------------------------------------------------------------------- properties


def examples(ci: int, fuzz_share: int = 1) -> int:
    """``ci`` examples under ``make test``; under ``make fuzz`` (HYPOTHESIS_PROFILE=fuzz)
    the profile's count divided by ``fuzz_share`` when that is more (tests/conftest.py)."""
    return max(ci, settings.default.max_examples // fuzz_share)


small_grids = st.integers(min_value=1, max_value=3).flatmap(
    lambda rows: st.integers(min_value=1, max_value=3).flatmap(
        lambda cols: st.lists(
            st.lists(st.integers(min_value=0, max_value=9), min_size=cols, max_size=cols),
            min_size=rows, max_size=rows,
        )
    )
)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=small_grids)
def test_grid_never_shows_or_leaks_a_small_count(grid):
    pub = grid_publication(grid)
    pub.suppress()
    shown_values_are_safe(pub)
    differences_are_safe(pub)
    for key, (low, high) in pub.bounds().items():
        if pub.state(key) != SHOWN and pub.values[key] > 0:
            assert high - low >= pub.protection, (key, low, high)


@settings(max_examples=examples(80, fuzz_share=5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=st.tuples(st.integers(min_value=1, max_value=3), st.integers(min_value=2, max_value=3)).flatmap(
    lambda shape: st.lists(st.lists(st.integers(min_value=0, max_value=7), min_size=shape[1], max_size=shape[1]),
                           min_size=shape[0], max_size=shape[0])))
@example(grid=[[0, 0, 1], [0, 0, 2], [1, 2, 1]])  # found by Hypothesis: the last cell was pinned
def test_no_hidden_cell_can_be_recovered_by_any_reader(grid):
    """Brute force: over every table consistent with what is shown, each hidden non-zero
    cell keeps at least the protection level (3) between its lowest and highest possible
    value, so differencing rows, columns and totals (in any combination) neither
    recovers it nor narrows a "<5" inside 1..4. And the audit's bounds hold every value
    the brute force finds."""
    pub = grid_publication(grid)
    pub.suppress()
    cap = 2 * MIN + 2  # a bounded reader: fewer possible tables, so a stricter check
    possible = brute_force_possible_values(grid, pub, cap)
    bounds = pub.bounds()
    for cell, values in possible.items():
        i, j = cell
        assert grid[i][j] in values, "the true table must be among the possible ones"
        low, high = bounds[f"c{i}.{j}"]
        assert low <= min(values), (grid, cell, values, low)
        assert max(values) <= high, (grid, cell, values, high)
        if grid[i][j] > 0:
            assert max(values) - min(values) >= pub.protection, (grid, cell, sorted(values))


# --------------------------------------------------------------------------- the audit's bounds


def linked_publication(states=None):
    """Five cells and six overlapping sums of them: not a two-way table, and its linear
    programs can have fractional optima."""
    pub = Publication(min_count=MIN)
    for key, value in (("b0", 8), ("b1", 2), ("b2", 3), ("b3", 8), ("b4", 1)):
        pub.add(key, value)
    for digits in ("0123", "0134", "024", "12", "124", "134"):
        parts = [f"b{digit}" for digit in digits]
        pub.add(f"t{digits}", sum(pub.values[part] for part in parts))
        pub.relate(f"t{digits}", parts)
    if states:
        pub.states = {key: states.get(key, SHOWN) for key in pub.values}
    else:
        pub.suppress()
    return pub


def founded_publication():
    pub = Publication(min_count=MIN)
    for key, value in (("all", 30), ("founded", 7), ("not_founded", 23), ("level2", 4), ("level3", 3)):
        pub.add(key, value)
    pub.relate("all", ["founded", "not_founded"])
    pub.relate("founded", ["level2", "level3"])
    pub.suppress()
    return pub


@pytest.mark.parametrize("grid", [
    [[0, 0, 1], [0, 0, 2], [1, 2, 1]],
    [[1, 1], [1, 1]],
    [[3, 10, 7], [6, 2, 9], [0, 5, 12]],
    [[3, 10, 7], [6, 2, 9]],
    [[0, 6, 2], [7, 0, 9]],
    [[2, 9], [8, 1], [5, 5]],
])
def test_bounds_of_grid_cells_are_the_range_brute_force_finds(grid):
    pub = grid_publication(grid)
    pub.suppress()
    cap = 30  # above every cell's highest value in these grids, so the brute force is exact
    bounds = pub.bounds()
    possible = brute_force_possible_values(grid, pub, cap)
    assert possible
    for (i, j), values in possible.items():
        assert bounds[f"c{i}.{j}"] == (min(values), max(values)), (i, j)
        assert max(values) < cap


@pytest.mark.parametrize("build", [founded_publication, linked_publication])
def test_bounds_of_every_figure_are_the_range_brute_force_finds(build):
    pub = build()
    cap = 16  # above the highest value of every figure that is no total, so the brute force is exact
    brute = brute_force_ranges(pub, cap)
    for key, (low, high) in pub.bounds().items():
        assert brute[key] == (low, high), key
        assert pub.state(key) == SHOWN or pub.values[key] == 0 or high - low >= pub.protection, key


def test_bounds_are_for_whole_numbers_where_the_linear_program_has_a_fractional_optimum():
    # b1 + b2 + b4 = 6 and b0 + b2 + b4 = 12 make b0 at least 7 in real numbers (b2 = 3.5,
    # b4 = 1.5), but b2 - b4 = 21 - 19 = 2 leaves whole numbers only b4 = 1, b2 = 3: b0 >= 8.
    states = {"b0": SECONDARY, "b1": PRIMARY, "b2": PRIMARY, "b3": SECONDARY, "b4": PRIMARY, "t12": WITHHELD,
              "t134": SECONDARY}
    pub = linked_publication(states)
    keys = list(pub.values)
    index = {key: i for i, key in enumerate(keys)}
    matrix, rhs = [], []
    for relation in pub.relations:
        row = [0.0] * len(keys)
        row[index[relation.total]] = 1.0
        for part in relation.parts:
            row[index[part]] -= 1.0
        matrix.append(row)
        rhs.append(0.0)
    limits = {SHOWN: None, PRIMARY: (1, MIN - 1), SECONDARY: (MIN, None), WITHHELD: (0, None)}
    variable_bounds = [(pub.values[key], pub.values[key]) if pub.state(key) == SHOWN else limits[pub.state(key)]
                       for key in keys]
    objective = np.zeros(len(keys))
    objective[index["b0"]] = 1.0
    relaxation = linprog(objective, A_eq=matrix, b_eq=rhs, bounds=variable_bounds, method="highs")
    assert relaxation.fun == pytest.approx(7)
    assert pub.bounds()["b0"][0] == 8
    assert brute_force_ranges(pub, 16)["b0"][0] == 8


def test_a_failed_audit_withholds_every_figure_instead_of_an_error(monkeypatch):
    """When the solver returns neither an optimum nor unboundedness, nothing unaudited is
    published and the page still renders: every figure is withheld."""
    import functools
    import types

    from caseflow.reports import suppression

    monkeypatch.setattr(suppression, "linprog", lambda *args, **kwargs: types.SimpleNamespace(
        status=4, message="numerical difficulties (simulated)", x=None, fun=None))
    suppression._decided.cache_clear()  # decisions are cached per publication
    monkeypatch.setattr(suppression, "_decided", functools.lru_cache(maxsize=1)(suppression._decided.__wrapped__))
    pub = grid_publication([[1, 6], [7, 2]])
    states = pub.suppress()
    assert set(states.values()) == {WITHHELD}
    assert {pub.display(key) for key in pub.values} == {"·"}
