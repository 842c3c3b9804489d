"""Case-list, inbox/queue and CPR-search benchmarks on a database filled by ``seed_bench``
(design.md §7, issue 11).

Every measurement runs ``--runs`` times, interleaved (one round calls each measurement
once, in the same order), after ``--warmup`` rounds; it reports the median, the p95 and
the queries per call. Measured:

* ``case_list_selector_*``: ``case_page_for`` (page of 50 + exact count + its one
  ``case.listed`` audit event), for a typical caseworker and for a supervisor (whole
  team), with a fresh user object per call (its roles are read, as in a request);
* ``case_list_read_*``: the same without the audit event (what ``case_page_for`` pages over),
  the part the "≤ 3 queries" bound is about;
* ``case_list_floor_*``: a hand-written SQL query pair (exact count + page of 50 with
  person, responsible and team joined) for the same result: the floor;
* ``case_list_page_*``: ``GET /cases/`` through the Django test client (logged in);
* ``inbox_*`` / ``queue_*``: ``task_inbox_pages`` / ``task_queue_pages`` (what the views page over) in the same shape
  (page of 50 + count), for the caseworker, the supervisor and a child consultant (who
  reaches every minor's case through a group grant);
* ``cpr_search``: ``search_for`` with a seeded CPR number (blind index);
* the case page (``GET /cases/<id>/``): queries with the seeded history and again after
  200 more journal notes and audit events on the case (must be equal).

Prints one JSON object.  DATABASE_URL=postgres://... python scripts/bench_cases.py --runs 50
"""

# ruff: noqa: S608 -- the floor's SQL is built from constants; values are query parameters.
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AUDIT_MARKERS = ("audit_auditevent", "pg_advisory_xact_lock")


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseflow.settings")
    os.environ.setdefault("CASEFLOW_DEBUG", "true")
    import django

    django.setup()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


class Measurement:
    def __init__(self, name: str, fn):
        self.name = name
        self.fn = fn
        self.times: list[float] = []
        self.queries: list[int] = []
        self.audit_queries: list[int] = []
        self.rows = None

    def once(self, record: bool) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            rows = self.fn()
            elapsed = time.perf_counter() - started
        if record:
            self.times.append(elapsed)
            sqls = [q["sql"] for q in captured.captured_queries]
            audit = sum(1 for sql in sqls if any(marker in sql for marker in AUDIT_MARKERS))
            self.queries.append(len(sqls))
            self.audit_queries.append(audit)
            self.rows = rows

    def summary(self) -> dict:
        ms = [t * 1000 for t in self.times]
        return {
            "median_ms": round(statistics.median(ms), 2),
            "p95_ms": round(_percentile(ms, 0.95), 2),
            "queries": max(self.queries),
            "queries_audit": max(self.audit_queries),
            "rows": self.rows,
        }


def _typical_caseworker(tag_prefix: str):
    from django.db.models import Count

    from caseflow.accounts.models import User

    users = (User.objects.filter(username__startswith=f"{tag_prefix}cw", is_active=True)
             .annotate(n=Count("caseusergrant")).order_by("n", "pk"))
    users = list(users)
    return users[len(users) // 2]


def _floor(actor, *, supervisor: bool):
    """The hand-written SQL for the same result (exact count and page of 50), in the
    best shape we know by hand: the grants read from their covering indexes with the
    group ids inlined; the page from the newest 50 granted cases of each grant table (the
    grants' (who, case opened, case) index) and, for a supervisor, the team's newest 50 by
    the (team, opened_at, id) index; a supervisor's count from the trigger-kept team
    counter plus the grants outside the team."""
    from django.db import connection

    from permissions.rules import CASE_GRANT_ACTIONS, Action

    kinds = [kind for kind, actions in CASE_GRANT_ACTIONS.items() if Action.VIEW in actions]
    groups = list(actor.groups.values_list("id", flat=True))
    granted = """
        SELECT content_object_id AS id FROM permissions_caseusergrant
         WHERE user_id = %(user)s AND kind = ANY(%(kinds)s) AND (valid_until IS NULL OR valid_until > now())
        UNION SELECT content_object_id FROM permissions_casegroupgrant
         WHERE group_id = ANY(%(groups)s) AND kind = ANY(%(kinds)s)
           AND (valid_until IS NULL OR valid_until > now())"""
    params = {"user": actor.pk, "kinds": kinds, "groups": groups, "team": actor.team_id}
    newest = """
        (SELECT DISTINCT content_object_id AS id, case_opened_at FROM permissions_caseusergrant
          WHERE user_id = %(user)s AND kind = ANY(%(kinds)s) AND (valid_until IS NULL OR valid_until > now())
          ORDER BY case_opened_at DESC, content_object_id DESC LIMIT 50)
        UNION (SELECT DISTINCT content_object_id, case_opened_at FROM permissions_casegroupgrant
          WHERE group_id = ANY(%(groups)s) AND kind = ANY(%(kinds)s) AND (valid_until IS NULL OR valid_until > now())
          ORDER BY case_opened_at DESC, content_object_id DESC LIMIT 50)"""
    if supervisor:
        count_sql = f"""SELECT COALESCE((SELECT cases FROM cases_teamcasecount WHERE team_id = %(team)s), 0)
                        + (SELECT count(*) FROM cases_case WHERE id IN ({granted}) AND team_id <> %(team)s)"""
        newest += """ UNION (SELECT id, opened_at FROM cases_case WHERE team_id = %(team)s
                                ORDER BY opened_at DESC, id DESC LIMIT 50)"""
    else:
        count_sql = f"SELECT count(*) FROM ({granted}) AS v"
    candidates = f"SELECT id FROM ({newest}) AS newest"
    with connection.cursor() as cursor:
        cursor.execute(count_sql, params)
        count = cursor.fetchone()[0]
        cursor.execute(f"""
            SELECT c.id, c.reference, c.status, c.level, c.opened_at, p.first_name, p.last_name, p.birth_date,
                   u.first_name, u.last_name, t.name
              FROM cases_case c
              JOIN people_person p ON p.id = c.person_id
              LEFT JOIN accounts_user u ON u.id = c.responsible_id
              JOIN accounts_team t ON t.id = c.team_id
             WHERE c.id IN (SELECT id FROM cases_case WHERE id IN ({candidates})
                             ORDER BY opened_at DESC, id DESC LIMIT 50)
             ORDER BY c.opened_at DESC, c.id DESC""", params)
        rows = cursor.fetchall()
    return [count, len(rows)]


def build(tag_prefix: str) -> tuple[list[Measurement], dict]:
    from django.core.paginator import Paginator
    from django.test import Client

    from caseflow.accounts.models import User
    from caseflow.cases.selectors import CaseListPages, case_page_for
    from caseflow.people.cpr import cpr_decrypt
    from caseflow.people.models import Person
    from caseflow.people.selectors import search_for
    from workflows.selectors import task_inbox_pages, task_queue_pages

    caseworker = _typical_caseworker(tag_prefix)
    supervisor = User.objects.filter(username__startswith=f"{tag_prefix}sup").order_by("pk").first()
    consultant = User.objects.filter(username__startswith=f"{tag_prefix}cons").order_by("pk").first()
    person = Person.objects.exclude(cpr_index="").order_by("pk").first()
    cpr = cpr_decrypt(person.cpr_encrypted)

    def fresh(user):
        return User.objects.get(pk=user.pk)  # outside the timed part: a request loads its user too

    def selector(user):
        def run():
            page = case_page_for(actor=user_box[user.pk])
            return [page.paginator.count, len(page.object_list)]
        return run

    def read(user):
        def run():
            # What case_page_for pages over, without its audit event.
            page = Paginator(CaseListPages(user_box[user.pk]), 50).get_page(1)
            return [page.paginator.count, len(list(page.object_list))]
        return run

    def tasks(selector_fn, user):
        def run():
            page = Paginator(selector_fn(actor=user_box[user.pk]), 50).get_page(1)
            return [page.paginator.count, len(list(page.object_list))]
        return run

    clients = {}
    for user in (caseworker, supervisor):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        clients[user.pk] = client

    def page(user):
        def run():
            response = clients[user.pk].get("/cases/")
            if response.status_code != 200:
                raise SystemExit(f"/cases/ answered {response.status_code}")
            return len(response.content)
        return run

    user_box: dict[int, object] = {}

    def refresh():
        for user in (caseworker, supervisor, consultant):
            user_box[user.pk] = fresh(user)

    measurements = [
        Measurement("case_list_selector_caseworker", selector(caseworker)),
        Measurement("case_list_selector_supervisor", selector(supervisor)),
        Measurement("case_list_read_caseworker", read(caseworker)),
        Measurement("case_list_read_supervisor", read(supervisor)),
        Measurement("case_list_floor_caseworker", lambda: _floor(user_box[caseworker.pk], supervisor=False)),
        Measurement("case_list_floor_supervisor", lambda: _floor(user_box[supervisor.pk], supervisor=True)),
        Measurement("case_list_page_caseworker", page(caseworker)),
        Measurement("case_list_page_supervisor", page(supervisor)),
        Measurement("inbox_caseworker", tasks(task_inbox_pages, caseworker)),
        Measurement("queue_caseworker", tasks(task_queue_pages, caseworker)),
        Measurement("queue_supervisor", tasks(task_queue_pages, supervisor)),
        Measurement("queue_consultant", tasks(task_queue_pages, consultant)),
        Measurement("cpr_search", lambda: len(search_for(actor=user_box[caseworker.pk], query=cpr).people)),
    ]
    context = {"caseworker": caseworker.username, "supervisor": supervisor.username, "refresh": refresh,
               "clients": clients, "caseworker_obj": caseworker}
    return measurements, context


def case_page_queries(caseworker, client) -> dict:
    """Queries of the case page with the seeded history and after 200 more entries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from caseflow.audit.actions import AuditAction
    from caseflow.audit.services import audit_record
    from caseflow.cases.models import Case
    from caseflow.journal.models import JournalNote

    case = Case.objects.filter(responsible=caseworker).order_by("pk").first()

    def measure():
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(f"/cases/{case.pk}/")
            elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"/cases/{case.pk}/ answered {response.status_code}")
        return len(captured.captured_queries), round(elapsed * 1000, 1)

    client.get(f"/cases/{case.pk}/")  # warm-up
    before, before_ms = measure()
    now = timezone.now()
    JournalNote.objects.bulk_create([
        JournalNote(case=case, author=caseworker, event_at=now, written_at=now, status="final", finalised_at=now,
                    text=f"Fiktivt notat {n}.", source_authority="coordination_unit")
        for n in range(200)
    ])
    for _ in range(200):
        audit_record(actor=caseworker, action=AuditAction.CASE_CHANGED, target=case, changes={"level": [2, 3]})
    after, after_ms = measure()
    return {"case": case.reference, "queries_seeded_history": before, "queries_with_200_more_entries": after,
            "ms_seeded_history": before_ms, "ms_with_200_more_entries": after_ms, "constant": before == after}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--tag", default="", help="the --tag given to seed_bench (default: the latest bench users)")
    args = parser.parse_args()
    _setup()
    from django.conf import settings
    from django.db import connection

    from caseflow.accounts.models import User
    from caseflow.cases.models import Case

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if args.tag:
        prefix = f"bench_{args.tag}_"
    else:
        latest = User.objects.filter(username__startswith="bench_", username__contains="_cw").order_by("-pk").first()
        if latest is None:
            raise SystemExit("no bench users: run manage.py seed_bench first")
        prefix = latest.username.rsplit("_", 1)[0] + "_"
    measurements, context = build(prefix)
    for round_number in range(args.warmup + args.runs):
        for measurement in measurements:
            context["refresh"]()
            measurement.once(record=round_number >= args.warmup)
    results = {m.name: m.summary() for m in measurements}
    for who in ("caseworker", "supervisor"):
        selector, read, floor = (results[f"case_list_{kind}_{who}"] for kind in ("selector", "read", "floor"))
        results[f"case_list_ratio_{who}"] = {
            "selector_vs_floor_median": round(selector["median_ms"] / floor["median_ms"], 2),
            "selector_vs_floor_p95": round(selector["p95_ms"] / floor["p95_ms"], 2),
            "read_vs_floor_median": round(read["median_ms"] / floor["median_ms"], 2),
        }
    summary = {
        "database": "PostgreSQL " + ".".join(str(n) for n in divmod(connection.pg_version, 10000)),
        "cases": Case.objects.count(),
        "runs": args.runs,
        "caseworker": context["caseworker"],
        "supervisor": context["supervisor"],
        "results": results,
        "case_page": case_page_queries(context["caseworker_obj"], context["clients"][context["caseworker_obj"].pk]),
    }
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
