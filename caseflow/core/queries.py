"""Small SQL compositions the ORM has no spelling for."""

from django.db import connection
from django.db.models import QuerySet


def summed_counts(*, counted: tuple[QuerySet, ...] = (), counted_sql: tuple[tuple[str, list], ...] = (),
                  values: tuple[QuerySet, ...] = ()) -> int:
    """In one statement: the number of rows of each of ``counted`` (querysets) and
    ``counted_sql`` (SQL built from model names with bound parameters) plus the single
    value each of ``values`` selects (0 where it selects no row).

    For exact list counts made of disjoint parts (a trigger-kept counter, a team's rows
    from one index, the granted rows outside the team) without a round trip per part.
    Only the ORM's compiled SQL is interpolated; every value is a bound parameter."""
    terms, params = [], []
    compiled = [queryset.query.get_compiler(connection=connection).as_sql() for queryset in counted]
    for number, (sql, part_params) in enumerate([*compiled, *counted_sql]):
        terms.append(f"(SELECT count(*) FROM ({sql}) AS counted_{number})")  # noqa: S608
        params.extend(part_params)
    for queryset in values:
        sql, part_params = queryset.query.get_compiler(connection=connection).as_sql()
        terms.append(f"COALESCE(({sql}), 0)")
        params.extend(part_params)
    if not terms:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(terms), params)
        return cursor.fetchone()[0]
