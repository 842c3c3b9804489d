"""``manage.py seed_bench --cases N``: fictional data at scale for ``make bench``.

For throwaway benchmark databases only (see ``caseflow.core.bench_seed``): PostgreSQL
only, and a database that already holds cases is refused unless ``--yes`` is given.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from caseflow.cases.models import Case
from caseflow.core.bench_seed import seed_bench


class Command(BaseCommand):
    help = "Fill a throwaway PostgreSQL database with N fictional cases and everything around them (benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True, help="number of cases (one person each)")
        parser.add_argument("--caseworkers", type=int, default=300)
        parser.add_argument("--teams", type=int, default=10)
        parser.add_argument("--tag", default="", help="suffix of the bench users' and teams' names")
        parser.add_argument("--yes", action="store_true", help="seed even though the database holds cases")
        parser.add_argument("--no-analyze", action="store_true", help="skip VACUUM ANALYZE afterwards")

    def handle(self, *, cases, caseworkers, teams, tag, yes, no_analyze, verbosity, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench runs on PostgreSQL only (set DATABASE_URL).")
        if cases < 1 or teams < 1 or caseworkers < teams:
            raise CommandError("--cases and --teams must be positive and --caseworkers at least --teams.")
        if not yes and Case.objects.exists():
            raise CommandError("The database already holds cases; seed_bench is for throwaway benchmark "
                               "databases. Pass --yes to add bench data anyway.")
        log = self.stdout.write if verbosity > 1 else None
        started = time.perf_counter()
        result = seed_bench(cases=cases, caseworkers=caseworkers, teams=teams, tag=tag, log=log,
                            analyze=not no_analyze)
        elapsed = time.perf_counter() - started
        counts = ", ".join(f"{name} {count}" for name, count in result.counts.items())
        self.stdout.write(f"seeded in {elapsed:.1f}s ({cases / elapsed:.0f} cases/s): {counts}")
