"""Fictional data at municipal or national scale for ``manage.py seed_bench`` (issue 11).

Everything is written set-based: ``INSERT ... SELECT generate_series(...)`` for the
domain tables and COPY for the audit trail. Row ``g`` (1..N) of every series derives its
values from ``g`` alone, so the shape is reproducible:

* ``N`` people (40 % minors; 1 % carry an encrypted CPR number and its blind index, so a
  CPR search has something to find), one case each, in every status and on both levels,
  spread over ``teams`` teams and ``caseworkers`` caseworkers (the responsible one holds
  the ``assigned`` grant, every tenth case has a ``co_worker``, minors' cases carry the
  child consultants' group grant as ``case_consultant_access_sync`` makes it, every fifth
  minor's case has a BBU contact with a ``bbu`` grant);
* the referral each case came from, plus N/10 open referrals waiting for screening;
* an intervention with a provider (and the provider's grant) for each case in work;
* 3 final journal notes per case;
* a CaseFlow process with its open human task for each open case (assigned to the
  responsible caseworker, every fifth one waiting in the team queue), plus the
  supervisor's approval and, for minors, the consultant's co-signature while a plan is
  proposed;
* 10 audit events per case, hash-chained in Python exactly as ``audit_record`` does
  (``caseflow.audit.chain.event_hash``) and streamed with COPY, continuing the existing
  chain, so ``audit_verify`` passes afterwards.

Bench data only: it bypasses the services (and their per-row audit) by design, and must
never be run against a database that matters (the command refuses a database with cases
unless told ``--yes``).
"""

# ruff: noqa: S608 -- the SQL is assembled from this module's constants and integers only;
# every value that varies is passed as a query parameter.
from __future__ import annotations

import datetime
import json
import time
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from caseflow.accounts.models import Team, User
from caseflow.accounts.roles import Role

#: Share of people with a CPR number (1 in CPR_EVERY).
CPR_EVERY = 100
JOURNAL_NOTES_PER_CASE = 3
AUDIT_EVENTS_PER_CASE = 10
BENCH_PREFIX = "bench"

# Index = g % 20: 12 of 20 cases open, the rest in the closed states.
STATUSES = (
    "opened", "clarification", "clarification", "planning", "active", "active", "active", "active",
    "active", "active", "review", "review", "reopened",
    "closed", "closed", "closed", "follow_up_6m", "follow_up_12m", "archived", "archived",
)
CLOSED_STATUSES = ("closed", "follow_up_6m", "follow_up_12m", "archived")
WORK_STATUSES = ("active", "review", "reopened")
FIRST_NAMES = ("Ada", "Bo", "Carla", "Dan", "Emil", "Freja", "Gustav", "Hanne", "Ida", "Jonas",
               "Karla", "Lars", "Maja", "Nikolaj", "Olga", "Peter", "Rikke", "Sune", "Tove", "Ulrik")
LAST_NAMES = ("Andersen", "Berg", "Christensen", "Dahl", "Eriksen", "Frost", "Gregersen", "Holm",
              "Iversen", "Jensen", "Krogh", "Lund", "Madsen", "Nielsen", "Olsen", "Poulsen",
              "Qvist", "Rasmussen", "Skov", "Thomsen", "Vestergaard")


@dataclass
class SeedResult:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return round(sum(self.seconds.values()), 2)


def _sql_array(values) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _base(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
    return cursor.fetchone()[0]


def _sync_sequence(cursor, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
    )


def _users(prefix: str, count: int, role: Role, teams: list[Team], tag: str) -> list[User]:
    group = Group.objects.get(name=role.value)
    users = [
        User(username=f"{BENCH_PREFIX}_{tag}_{prefix}{n:04d}", first_name=prefix.capitalize(),
             last_name=f"{n:04d}", team=teams[n % len(teams)] if teams else None)
        for n in range(count)
    ]
    for user in users:
        user.set_unusable_password()  # bench users never sign in with a password
    User.objects.bulk_create(users, ignore_conflicts=True)
    users = list(User.objects.filter(username__startswith=f"{BENCH_PREFIX}_{tag}_{prefix}").order_by("username"))
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=group.pk) for u in users], ignore_conflicts=True)
    return users


class Seeder:
    def __init__(self, *, cases: int, caseworkers: int = 300, teams: int = 10, tag: str = "",
                 log=None, analyze: bool = True):
        if cases < 1 or teams < 1 or caseworkers < teams:
            raise ValueError("need at least one case, one team and one caseworker per team")
        self.n = cases
        self.t = teams
        self.per_team = caseworkers // teams  # caseworkers per team
        self.tag = tag or timezone.now().strftime("%H%M%S")
        self.log = log or (lambda message: None)
        self.result = SeedResult()
        self.analyze = analyze

    # ----------------------------------------------------------------- helpers

    def _step(self, name: str, fn) -> None:
        started = time.perf_counter()
        count = fn()
        self.result.seconds[name] = round(time.perf_counter() - started, 2)
        if count is not None:
            self.result.counts[name] = count
        self.log(f"{name}: {count if count is not None else ''} in {self.result.seconds[name]} s")

    def _cw(self, offset: int = 0) -> str:
        """SQL: the caseworker id of row g (team g % T; the same caseworker for a
        team's every per_team-th case); ``offset`` picks a team colleague."""
        return f"(%(cws)s::bigint[])[1 + (g %% {self.t}) * {self.per_team} + ((g / {self.t}) + {offset}) %% {self.per_team}]"

    # ----------------------------------------------------------------- steps

    def run(self) -> SeedResult:
        if connection.vendor != "postgresql":
            raise RuntimeError("seed_bench needs PostgreSQL")
        with transaction.atomic():
            self._step("users", self._seed_users)
            with connection.cursor() as cursor:
                self.cursor = cursor
                self._step("people", self._seed_people)
                self._step("cpr_numbers", self._seed_cpr)
                self._step("cases", self._seed_cases)
                self._step("referrals", self._seed_referrals)
                self._step("interventions", self._seed_interventions)
                self._step("journal_notes", self._seed_journal)
                self._step("grants", self._seed_grants)
                self._step("tasks", self._seed_tasks)
                self._step("reference_sequences", self._seed_reference_sequences)
            self._step("audit_events", self._seed_audit)
        if self.analyze:  # VACUUM cannot run inside a transaction (tests)
            self._step("vacuum_analyze", self._vacuum)
        return self.result

    def _seed_users(self) -> int:
        teams = [Team(name=f"Bench {self.tag} team {n + 1:02d}") for n in range(self.t)]
        Team.objects.bulk_create(teams, ignore_conflicts=True)
        self.teams = list(Team.objects.filter(name__startswith=f"Bench {self.tag} team ").order_by("name"))
        cws = _users("cw", self.per_team * self.t, Role.CASEWORKER, [], self.tag)
        # ordered by team: caseworker k of team i sits at i * per_team + k
        for index, user in enumerate(cws):
            user.team = self.teams[index // self.per_team]
        User.objects.bulk_update(cws, ["team"])
        self.caseworkers = cws
        self.supervisors = _users("sup", self.t, Role.SUPERVISOR, self.teams, self.tag)
        self.consultants = _users("cons", 5, Role.CHILD_CONSULTANT, [], self.tag)
        self.bbus = _users("bbu", 5, Role.BBU_LIAISON, [], self.tag)
        self.providers = _users("mentor", 50, Role.MENTOR, [], self.tag)
        self.params = {
            "teams": [t.pk for t in self.teams],
            "cws": [u.pk for u in self.caseworkers],
            "bbus": [u.pk for u in self.bbus],
            "providers": [u.pk for u in self.providers],
            "n": self.n,
        }
        return len(cws) + len(self.supervisors) + len(self.consultants) + len(self.bbus) + len(self.providers)

    def _exec(self, sql: str, **extra) -> int:
        self.cursor.execute(sql, {**self.params, **extra})
        return self.cursor.rowcount

    def _seed_people(self) -> int:
        self.pbase = _base(self.cursor, "people_person")
        count = self._exec(f"""
            INSERT INTO people_person (id, first_name, last_name, birth_date, gender, cpr_encrypted, cpr_index,
                cpr_masked, address, district, school_or_workplace, language, needs_interpreter,
                protected_address, created_at)
            SELECT %(pbase)s + g,
                   ({_sql_array(FIRST_NAMES)})[1 + g %% {len(FIRST_NAMES)}],
                   ({_sql_array(LAST_NAMES)})[1 + (g / {len(FIRST_NAMES)}) %% {len(LAST_NAMES)}],
                   CASE WHEN (g / 20) %% 10 < 4 THEN current_date - (12 * 365 + (g::bigint * 7919) %% (5 * 365))::int
                        ELSE current_date - (19 * 365 + (g::bigint * 7919) %% (45 * 365))::int END,
                   (ARRAY['female','male','other','unknown'])[1 + g %% 4],
                   '', '', '', 'Fiktivvej ' || g, (ARRAY['Nord','Syd','Øst','Vest','Centrum'])[1 + g %% 5],
                   '', 'da', g %% 50 = 0, g %% 200 = 0, now()
            FROM generate_series(1, %(n)s) AS g
        """, pbase=self.pbase)
        _sync_sequence(self.cursor, "people_person")
        return count

    def _seed_cpr(self) -> int:
        from caseflow.people.cpr import cpr_encrypt, cpr_index, cpr_mask

        self.cursor.execute(
            "SELECT id, birth_date FROM people_person WHERE id > %s AND (id - %s) %% %s = 0",
            [self.pbase, self.pbase, CPR_EVERY])
        rows = []
        used: dict[datetime.date, int] = {}  # serials handed out per birth date (numbers are unique)
        for pk, born in self.cursor.fetchall():
            serial = used.get(born, 0)
            used[born] = serial + 1
            if serial >= 4000:
                continue
            # the 7th digit gives the century: 0-3 for 1900-1999, 5-8 for 2000-2057
            first = (5 if born.year >= 2000 else 0) + serial // 1000
            number = born.strftime("%d%m%y") + f"{first}{serial % 1000:03d}"
            rows.append((pk, cpr_encrypt(number), cpr_index(number), cpr_mask(number)))
        self.cursor.execute("DROP TABLE IF EXISTS bench_cpr")
        self.cursor.execute("CREATE TEMP TABLE bench_cpr (id bigint, enc text, idx text, masked text) ON COMMIT DROP")
        with self.cursor.cursor.copy("COPY bench_cpr FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self.cursor.execute("""UPDATE people_person p SET cpr_encrypted = b.enc, cpr_index = b.idx,
                               cpr_masked = b.masked FROM bench_cpr b WHERE b.id = p.id
                               AND NOT EXISTS (SELECT 1 FROM people_person q WHERE q.cpr_index = b.idx)""")
        return self.cursor.rowcount

    def _seed_cases(self) -> int:
        self.cbase = _base(self.cursor, "cases_case")
        closed = ",".join(f"'{s}'" for s in CLOSED_STATUSES)
        count = self._exec(f"""
            INSERT INTO cases_case (id, reference, person_id, team_id, responsible_id, level, status, phenomenon,
                is_minor, bbu_contact_id, opened_at, closed_at, closure_reason)
            SELECT %(cbase)s + g,
                   'KE-' || extract(year FROM o.at)::int || '-' || lpad((%(cbase)s + g)::text, 7, '0'),
                   p.id, (%(teams)s::bigint[])[1 + g %% {self.t}], {self._cw()},
                   CASE WHEN g %% 3 = 0 THEN 3 ELSE 2 END, o.status,
                   (ARRAY['militant_islamism','right_wing','left_wing','other_unclear','not_ideological'])[1 + g %% 5],
                   o.minor,
                   CASE WHEN o.minor AND g %% 5 = 0 THEN (%(bbus)s::bigint[])[1 + g %% 5] END,
                   o.at,
                   CASE WHEN o.status IN ({closed}) THEN LEAST(now(), o.at + interval '300 days') END,
                   CASE WHEN o.status IN ({closed}) THEN 'goals_met' ELSE '' END
            FROM generate_series(1, %(n)s) AS g
            JOIN people_person p ON p.id = %(pbase)s + g
            CROSS JOIN LATERAL (SELECT
                now() - make_interval(days => ((g::bigint * 7919) %% 2190)::int, secs => (g %% 86400)::int) AS at,
                ({_sql_array(STATUSES)})[1 + g %% {len(STATUSES)}] AS status,
                p.birth_date > (current_date - interval '18 years')::date AS minor) AS o
        """, cbase=self.cbase, pbase=self.pbase)
        _sync_sequence(self.cursor, "cases_case")
        return count

    def _seed_referrals(self) -> int:
        self.rbase = _base(self.cursor, "referrals_referral")
        linked = self._exec("""
            INSERT INTO referrals_referral (id, reference, received_at, channel, referrer_type, referrer_name,
                referrer_contact, referrer_wishes_anonymity, is_anonymous, concern_text, warning_signs, urgency,
                person_id, team_id, status, outcome, registered_by_id, case_id, reopen_case_id, closed_at,
                created_at)
            SELECT %(rbase)s + g, 'HV-' || extract(year FROM c.opened_at)::int || '-' || lpad((%(rbase)s + g)::text, 7, '0'),
                   c.opened_at - interval '10 days',
                   (ARRAY['unit_hotline','phone','email','form','police'])[1 + g %% 5],
                   (ARRAY['primary_school','police','parent_relative','social_services','jobcentre'])[1 + g %% 5],
                   'Fiktiv henviser', '', false, false, 'Fiktiv bekymring (benchmarkdata).', '[]', 'normal',
                   c.person_id, c.team_id, 'assessed',
                   CASE WHEN c.level = 2 THEN 'case_level_2' ELSE 'case_level_3' END,
                   c.responsible_id, c.id, NULL, c.opened_at, c.opened_at - interval '10 days'
            FROM cases_case c CROSS JOIN LATERAL (SELECT c.id - %(cbase)s AS g) AS s
            WHERE c.id > %(cbase)s
        """, rbase=self.rbase, cbase=self.cbase)
        open_count = self._exec(f"""
            INSERT INTO referrals_referral (id, reference, received_at, channel, referrer_type, referrer_name,
                referrer_contact, referrer_wishes_anonymity, is_anonymous, concern_text, warning_signs, urgency,
                person_id, team_id, status, outcome, registered_by_id, case_id, reopen_case_id, closed_at,
                created_at)
            SELECT %(rbase)s + %(n)s + g, 'HV-' || extract(year FROM now())::int || '-' || lpad((%(rbase)s + %(n)s + g)::text, 7, '0'),
                   now() - make_interval(hours => (g %% 500)::int), 'phone', 'primary_school', 'Fiktiv henviser', '',
                   false, false, 'Fiktiv bekymring (benchmarkdata).', '[]',
                   (ARRAY['normal','normal','high','acute'])[1 + g %% 4],
                   %(pbase)s + 1 + (g * 10) %% %(n)s, (%(teams)s::bigint[])[1 + g %% {self.t}],
                   (ARRAY['received','initial_assessment','awaiting_information'])[1 + g %% 3], '',
                   {self._cw()}, NULL, NULL, NULL, now() - make_interval(hours => (g %% 500)::int)
            FROM generate_series(1, GREATEST(%(n)s / 10, 1)) AS g
        """, rbase=self.rbase, pbase=self.pbase)
        _sync_sequence(self.cursor, "referrals_referral")
        return linked + open_count

    def _seed_interventions(self) -> int:
        base = _base(self.cursor, "interventions_intervention")
        work = ",".join(f"'{s}'" for s in WORK_STATUSES)
        count = self._exec(f"""
            INSERT INTO interventions_intervention (id, case_id, kind, provider_id, status, goals, started_on,
                ended_on, end_reason, partner_roles, unstaffed_since, unstaffed_alerted_at, created_at)
            SELECT %(ibase)s + row_number() OVER (ORDER BY c.id), c.id,
                   (ARRAY['mentor','parent_coach','exit_programme','concern_conversation'])[1 + c.id %% 4],
                   (%(providers)s::bigint[])[1 + c.id %% 50], 'active', 'Fiktive mål (benchmarkdata).',
                   (c.opened_at + interval '30 days')::date, NULL, '', '', NULL, NULL, c.opened_at + interval '30 days'
            FROM cases_case c WHERE c.id > %(cbase)s AND c.status IN ({work})
        """, ibase=base, cbase=self.cbase)
        _sync_sequence(self.cursor, "interventions_intervention")
        self.ibase = base
        return count

    def _seed_journal(self) -> int:
        base = _base(self.cursor, "journal_journalnote")
        count = self._exec(f"""
            INSERT INTO journal_journalnote (id, case_id, author_id, event_at, written_at, status, finalised_at,
                text, source_authority, restricted, corrects_id, intervention_id)
            SELECT %(jbase)s + (c.id - %(cbase)s - 1) * {JOURNAL_NOTES_PER_CASE} + k, c.id, c.responsible_id,
                   c.opened_at + k * interval '20 days', c.opened_at + k * interval '20 days' + interval '1 hour',
                   'final', c.opened_at + k * interval '20 days' + interval '2 hours',
                   'Fiktivt journalnotat nr. ' || k || ' (benchmarkdata).',
                   (ARRAY['coordination_unit','school','police'])[k], k = 3 AND c.id %% 10 = 0, NULL, NULL
            FROM cases_case c CROSS JOIN generate_series(1, {JOURNAL_NOTES_PER_CASE}) AS k
            WHERE c.id > %(cbase)s
        """, jbase=base, cbase=self.cbase)
        _sync_sequence(self.cursor, "journal_journalnote")
        return count

    def _seed_grants(self) -> int:
        view_case = Permission.objects.get(content_type__app_label="cases", codename="view_case").pk
        view_intervention = Permission.objects.get(
            content_type__app_label="interventions", codename="view_intervention").pk
        consultants = Group.objects.get(name=Role.CHILD_CONSULTANT.value).pk
        common = {"perm": view_case, "cbase": self.cbase}
        columns = "permission_id, kind, granted_by_id, reason, valid_until, created_at, content_object_id"
        total = self._exec(f"""
            INSERT INTO permissions_caseusergrant (user_id, {columns})
            SELECT c.responsible_id, %(perm)s, 'assigned', NULL, 'bench', NULL, c.opened_at, c.id
            FROM cases_case c WHERE c.id > %(cbase)s AND c.responsible_id IS NOT NULL
        """, **common)
        total += self._exec(f"""
            INSERT INTO permissions_caseusergrant (user_id, {columns})
            SELECT {self._cw(1)}, %(perm)s, 'co_worker', NULL, 'bench', NULL, c.opened_at, c.id
            FROM cases_case c CROSS JOIN LATERAL (SELECT c.id - %(cbase)s AS g) AS s
            WHERE c.id > %(cbase)s AND g %% 10 = 0
        """, **common)
        total += self._exec(f"""
            INSERT INTO permissions_caseusergrant (user_id, {columns})
            SELECT c.bbu_contact_id, %(perm)s, 'bbu', NULL, 'bench', NULL, c.opened_at, c.id
            FROM cases_case c WHERE c.id > %(cbase)s AND c.bbu_contact_id IS NOT NULL
        """, **common)
        # as case_consultant_access_sync makes it: the consultants' group, while the case is a minor's
        total += self._exec(f"""
            INSERT INTO permissions_casegroupgrant (group_id, {columns})
            SELECT %(group)s, %(perm)s, 'consultant', NULL, 'minor', NULL, c.opened_at, c.id
            FROM cases_case c WHERE c.id > %(cbase)s AND c.is_minor
        """, group=consultants, **common)
        total += self._exec(f"""
            INSERT INTO permissions_interventionusergrant (user_id, {columns})
            SELECT i.provider_id, %(perm)s, 'provider', NULL, 'bench', NULL, i.created_at, i.id
            FROM interventions_intervention i WHERE i.id > %(ibase)s AND i.provider_id IS NOT NULL
        """, perm=view_intervention, ibase=self.ibase)
        return total

    def _seed_tasks(self) -> int:
        from viewflow.workflow.fields import get_flow_ref, get_task_ref

        from caseflow.cases.models import Case
        from workflows.flows.case import CaseFlow

        open_statuses = ",".join(f"'{s}'" for s in Case.OPEN_STATUSES)
        pbase = _base(self.cursor, "viewflow_process")
        self._exec(f"""
            INSERT INTO viewflow_process (id, flow_class, status, created, finished, data)
            SELECT %(pbase)s + row_number() OVER (ORDER BY c.id), %(flow)s, 'NEW', c.opened_at, NULL, '{{}}'
            FROM cases_case c WHERE c.id > %(cbase)s AND c.status IN ({open_statuses})
        """, pbase=pbase, flow=get_flow_ref(CaseFlow), cbase=self.cbase)
        self._exec(f"""
            INSERT INTO workflows_caseprocess (process_ptr_id, case_id)
            SELECT %(pbase)s + row_number() OVER (ORDER BY c.id), c.id
            FROM cases_case c WHERE c.id > %(cbase)s AND c.status IN ({open_statuses})
        """, pbase=pbase, cbase=self.cbase)
        _sync_sequence(self.cursor, "viewflow_process")
        case_ct = ContentType.objects.get_for_model(Case).pk
        review = getattr(CaseFlow, "review", CaseFlow.plan)
        refs = {"clarify": get_task_ref(CaseFlow.clarify), "plan": get_task_ref(CaseFlow.plan),
                "review": get_task_ref(review), "approve": get_task_ref(CaseFlow.approve),
                "co_sign": get_task_ref(CaseFlow.co_sign)}
        columns = """flow_task, flow_task_type, status, created, assigned, started, finished, scheduled, token,
                     external_task_id, owner_id, owner_permission, owner_permission_content_type_id,
                     owner_permission_obj_pk, process_id, data"""
        source = """FROM workflows_caseprocess cp JOIN cases_case c ON c.id = cp.case_id
                     WHERE cp.process_ptr_id > %(pbase)s"""
        total = self._exec(f"""
            INSERT INTO viewflow_task ({columns})
            SELECT CASE WHEN c.status IN ('opened','clarification') THEN %(clarify)s
                        WHEN c.status = 'planning' THEN %(plan)s ELSE %(review)s END,
                   'HUMAN', CASE WHEN (c.id * 2654435761) %% 997 < 200 THEN 'NEW' ELSE 'ASSIGNED' END, c.opened_at,
                   CASE WHEN (c.id * 2654435761) %% 997 < 200 THEN NULL ELSE c.opened_at END, NULL, NULL, NULL, 'start', NULL,
                   CASE WHEN (c.id * 2654435761) %% 997 < 200 THEN NULL ELSE c.responsible_id END, 'cases.change_case', %(ct)s,
                   c.id::text, cp.process_ptr_id, '{{}}'
            {source}
        """, pbase=pbase, ct=case_ct, **refs)
        total += self._exec(f"""
            INSERT INTO viewflow_task ({columns})
            SELECT %(approve)s, 'HUMAN', 'NEW', c.opened_at, NULL, NULL, NULL, NULL, 'start', NULL, NULL,
                   'cases.approve_case', %(ct)s, c.id::text, cp.process_ptr_id, '{{}}'
            {source} AND c.status = 'planning'
        """, pbase=pbase, ct=case_ct, **refs)
        total += self._exec(f"""
            INSERT INTO viewflow_task ({columns})
            SELECT %(co_sign)s, 'HUMAN', 'NEW', c.opened_at, NULL, NULL, NULL, NULL, 'start', NULL, NULL,
                   'cases.cosign_case', %(ct)s, c.id::text, cp.process_ptr_id, '{{}}'
            {source} AND c.status = 'planning' AND c.is_minor
        """, pbase=pbase, ct=case_ct, **refs)
        return total

    def _seed_reference_sequences(self) -> int:
        """Later references continue after the seeded ones (the number is the row id)."""
        return self._exec("""
            INSERT INTO core_referencesequence (prefix, year, last_number)
            SELECT prefix, year, max(number) FROM (
                SELECT 'KE' AS prefix, extract(year FROM opened_at)::int AS year, id AS number FROM cases_case
                UNION ALL
                SELECT 'HV', extract(year FROM received_at + interval '10 days')::int, id FROM referrals_referral
                UNION ALL
                SELECT 'HV', extract(year FROM received_at)::int, id FROM referrals_referral
            ) AS r GROUP BY prefix, year
            ON CONFLICT (prefix, year) DO UPDATE
                SET last_number = GREATEST(core_referencesequence.last_number, EXCLUDED.last_number)
        """)

    def _seed_audit(self) -> int:
        from caseflow.audit.chain import GENESIS_HASH, WALK_COLUMNS, event_hash
        from caseflow.audit.models import AuditEvent

        actions = ("case.opened", "access.granted", "referral.screened", "decision.recorded",
                   "journal.note_created", "journal.note_created", "journal.note_created",
                   "case.changed", "case.viewed", "case.viewed")
        assert len(actions) == AUDIT_EVENTS_PER_CASE
        columns = [name for name in WALK_COLUMNS if name != "id"]
        usernames = {u.pk: u.username for u in self.caseworkers}
        with connection.cursor() as cursor:
            # The chain is extended under its lock, as audit_record does.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_chain_lock_key()])
            head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
            sequence, prev_hash = head if head else (0, GENESIS_HASH)
            cursor.execute("SELECT id, responsible_id FROM cases_case WHERE id > %s ORDER BY id", [self.cbase])
            cases = cursor.fetchall()
            total = len(cases) * AUDIT_EVENTS_PER_CASE
            at = timezone.now() - datetime.timedelta(milliseconds=total)
            step = datetime.timedelta(milliseconds=1)
            with cursor.cursor.copy(f"COPY audit_auditevent ({', '.join(columns)}) FROM STDIN") as copy:
                for case_id, responsible_id in cases:
                    target = str(case_id)
                    username = usernames.get(responsible_id, "")
                    for action in actions:
                        sequence += 1
                        at += step
                        changes = {"status": ["opened", "clarification"]} if action == "case.changed" else {}
                        extra = {"kind": "assigned"} if action == "access.granted" else {}
                        values = {
                            "occurred_at": at, "sequence": sequence, "actor_id": responsible_id,
                            "actor_username": username, "actor_role": "caseworker", "system_actor": "",
                            "action": action, "target_type": "cases.case", "target_id": target,
                            "case_id": case_id, "purpose": "case_work" if action == "case.viewed" else "",
                            "reason": "", "changes": changes, "extra": extra,
                            "request_id": f"bench-{sequence}", "ip": "192.0.2.1", "user_agent": "bench",
                        }
                        digest = event_hash(prev_hash, values)
                        values["changes"] = json.dumps(changes)
                        values["extra"] = json.dumps(extra)
                        values["prev_hash"] = prev_hash
                        values["hash"] = digest
                        copy.write_row([values[name] for name in columns])
                        prev_hash = digest
        return total

    def _vacuum(self) -> None:
        with connection.cursor() as cursor:
            for table in ("people_person", "cases_case", "referrals_referral", "interventions_intervention",
                          "journal_journalnote", "permissions_caseusergrant", "permissions_casegroupgrant",
                          "permissions_interventionusergrant", "viewflow_process", "workflows_caseprocess",
                          "viewflow_task", "workflows_opentask", "cases_teamcasecount", "audit_auditevent",
                          "accounts_user", "accounts_user_groups"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def _chain_lock_key() -> int:
    from caseflow.audit.chain import CHAIN_LOCK_KEY

    return CHAIN_LOCK_KEY


def seed_bench(*, cases: int, caseworkers: int = 300, teams: int = 10, tag: str = "", log=None,
               analyze: bool = True) -> SeedResult:
    return Seeder(cases=cases, caseworkers=caseworkers, teams=teams, tag=tag, log=log, analyze=analyze).run()
