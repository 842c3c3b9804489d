"""Small-cell suppression (caseflow.reports.suppression), without a database.

The property tests check the published figures the way a reader would attack them:
every shown figure is 0 or at least 5, no relation with a shown total leaves a
difference from 1 to 4, and, checked by brute force over every table a reader could
believe in (each hidden cell anywhere its mark allows), no hidden cell has only one
possible value.
"""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def test_a_figure_that_is_a_cell_here_and_a_total_there_is_protected_in_both():
    # founded = level 2 + level 3; founded is also a cell of founded + not founded = all.
    pub = Publication(min_count=MIN)
    for key, value in (("all", 30), ("founded", 7), ("not_founded", 23), ("level2", 4), ("level3", 3)):
        pub.add(key, value)
    pub.relate("all", ["founded", "not_founded"])
    pub.relate("founded", ["level2", "level3"])
    pub.suppress()
    assert pub.display("level2") == "<5"
    assert pub.display("level3") == "<5"
    # 7 = 4 + 3 shown would leave nothing to hide: 7 - (1..4) pins nothing, but 7 is shown
    # only if the difference rule holds (7 >= 5) and neither level can be pinned.
    lows_highs = pub.bounds()
    assert lows_highs["level2"][0] != lows_highs["level2"][1]
    assert lows_highs["level3"][0] != lows_highs["level3"][1]


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


small_grids = st.integers(min_value=1, max_value=3).flatmap(
    lambda rows: st.integers(min_value=1, max_value=3).flatmap(
        lambda cols: st.lists(
            st.lists(st.integers(min_value=0, max_value=9), min_size=cols, max_size=cols),
            min_size=rows, max_size=rows,
        )
    )
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=small_grids)
def test_grid_never_shows_or_leaks_a_small_count(grid):
    pub = grid_publication(grid)
    pub.suppress()
    shown_values_are_safe(pub)
    differences_are_safe(pub)
    for key, (low, high) in pub.bounds().items():
        if pub.state(key) != SHOWN and pub.values[key] > 0:
            assert low < high, key


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=st.tuples(st.integers(min_value=1, max_value=3), st.integers(min_value=2, max_value=3)).flatmap(
    lambda shape: st.lists(st.lists(st.integers(min_value=0, max_value=7), min_size=shape[1], max_size=shape[1]),
                           min_size=shape[0], max_size=shape[0])))
def test_no_hidden_cell_can_be_recovered_by_any_reader(grid):
    """Brute force: over every table consistent with what is shown, each hidden cell
    can take at least two values, so differencing rows, columns and totals (in any
    combination) never recovers it."""
    pub = grid_publication(grid)
    pub.suppress()
    cap = 2 * MIN + 2  # a bounded reader: fewer possible tables, so a stricter check
    possible = brute_force_possible_values(grid, pub, cap)
    for cell, values in possible.items():
        i, j = cell
        assert grid[i][j] in values, "the true table must be among the possible ones"
        if grid[i][j] > 0:
            assert len(values) >= 2, (grid, cell, values)
