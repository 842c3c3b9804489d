"""Benchmark of the audit trail on real PostgreSQL (design.md §7).

Measures, in a scratch database created next to the one in ``DATABASE_URL`` (and dropped
afterwards, unless ``--keep-db``):

* chained inserts per second through ``audit_record`` with 1 and with 4 writer processes,
  each process on its own connection and each event in its own transaction, plus the
  per-insert latency (what auditing adds to a write);
* the time ``audit_verify`` takes over ``--verify-events`` events (generated quickly with
  COPY, correctly chained, then walked exactly as ``manage.py audit_verify`` does).

Prints one JSON object. Targets: >= 500 events/s with 4 writers, <= 2 ms per audited
write, audit_verify over 1M events in under 60 s.

    DATABASE_URL=postgres://... python scripts/bench_audit.py --events 5000 --verify-events 1000000
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACTIONS = ("case.viewed", "case.listed", "case.changed", "person.searched", "access.granted", "decision.recorded")


def _database_url_for(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _django_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseflow.settings")
    os.environ.setdefault("CASEFLOW_DEBUG", "true")  # development keys are fine for a benchmark
    import django

    django.setup()


# --------------------------------------------------------------------------- writers


def _writer(database_url: str, count: int, label: str, barrier, results) -> None:
    """One writer process: ``count`` chained events, one transaction each."""
    _django_setup(database_url)
    from django.db import connection

    from caseflow.audit.actions import AuditAction
    from caseflow.audit.context import audit_context
    from caseflow.audit.services import audit_record

    connection.ensure_connection()
    latencies = []
    barrier.wait()
    with audit_context(system_actor=f"bench:{label}", request_id="new", ip="192.0.2.1", user_agent="bench"):
        for number in range(count):
            started = time.perf_counter()
            audit_record(
                actor=None,
                action=AuditAction.CASE_CHANGED,
                target_type="cases.case",
                target_id=str(number),
                case_id=number,
                reason="bench",
                changes={"status": ["active", "review"], "level": [2, 3]},
                extra={"writer": label},
            )
            latencies.append(time.perf_counter() - started)
    connection.close()
    results.put(latencies)


def bench_writers(database_url: str, *, writers: int, events: int) -> dict:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers + 1)
    results = context.Queue()
    per_writer = events // writers
    processes = [
        context.Process(target=_writer, args=(database_url, per_writer, f"w{n}", barrier, results))
        for n in range(writers)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    latencies = [latency for _ in processes for latency in results.get(timeout=600)]
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join(60)
        if process.exitcode != 0:
            raise SystemExit(f"a writer failed (exit code {process.exitcode})")
    latencies.sort()
    return {
        "writers": writers,
        "events": len(latencies),
        "seconds": round(elapsed, 3),
        "events_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms_mean": round(statistics.fmean(latencies) * 1000, 3),
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 3),
    }


# --------------------------------------------------------------------------- verification


def generate_events(count: int) -> float:
    """Append ``count`` correctly chained events with COPY; returns the seconds it took."""
    from django.db import connection, transaction

    from caseflow.audit.chain import GENESIS_HASH, WALK_COLUMNS, event_hash
    from caseflow.audit.models import AuditEvent

    columns = [name for name in WALK_COLUMNS if name != "id"]
    started = time.perf_counter()
    with transaction.atomic():
        head = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash", "occurred_at").first()
        sequence, prev_hash, at = head if head else (0, GENESIS_HASH, datetime.datetime.now(datetime.UTC))
        with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY audit_auditevent ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for number in range(count):
                sequence += 1
                at += datetime.timedelta(microseconds=1500)
                action = ACTIONS[number % len(ACTIONS)]
                values = {
                    "occurred_at": at,
                    "sequence": sequence,
                    "actor_id": 1 + number % 40,
                    "actor_username": f"user{number % 40}",
                    "actor_role": "caseworker",
                    "system_actor": "",
                    "action": action,
                    "target_type": "cases.case",
                    "target_id": str(number % 5000),
                    "case_id": number % 5000,
                    "purpose": "case page" if action.endswith("viewed") else "",
                    "reason": "",
                    "changes": {"status": ["active", "review"]} if action == "case.changed" else {},
                    "extra": {"criterion": {"name": "Fiktiv"}, "ids": [1, 2, 3]} if action.endswith("searched")
                    else {},
                    "request_id": f"00000000-0000-4000-8000-{number:012d}",
                    "ip": "192.0.2.1",
                    "user_agent": "Mozilla/5.0 (bench)",
                }
                digest = event_hash(prev_hash, values)
                row = {**values, "prev_hash": prev_hash, "hash": digest}
                row["changes"] = json.dumps(row["changes"])
                row["extra"] = json.dumps(row["extra"])
                copy.write_row([row[name] for name in columns])
                prev_hash = digest
    return time.perf_counter() - started


def bench_verify(count: int) -> dict:
    from django.db import connection

    from caseflow.audit.models import AuditEvent
    from caseflow.audit.services import audit_verify

    generation = generate_events(count)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE audit_auditevent")
    total = AuditEvent.objects.count()
    started = time.perf_counter()
    result = audit_verify()  # no head file in the scratch run (see main)
    elapsed = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"verification failed: {result.broken}")
    return {
        "events": total,
        "generated_in_seconds": round(generation, 1),
        "verify_seconds": round(elapsed, 2),
        "verify_events_per_second": round(total / elapsed),
        "result": f"intact ({result.count} events)",
    }


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000, help="events per insert measurement (default 5000)")
    parser.add_argument("--verify-events", type=int, default=200_000,
                        help="events audit_verify walks (default 200000; the target is stated for 1000000)")
    parser.add_argument("--keep-db", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL to a PostgreSQL server (the benchmark creates its own scratch database)")
    _django_setup(base_url)
    from django.conf import settings
    from django.db import connection

    scratch = f"caseflow_bench_audit_{os.getpid()}"
    connection.settings_dict["TEST"]["NAME"] = scratch
    original_name = connection.settings_dict["NAME"]
    # Never compare the scratch chain with a real head file.
    settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH = Path(tempfile.gettempdir()) / f"{scratch}-no-heads.jsonl"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    scratch_url = _database_url_for(base_url, scratch)
    try:
        summary = {
            "database": "PostgreSQL " + ".".join(str(n) for n in divmod(connection.pg_version, 10000)),
            "cpus": os.cpu_count(),
            "inserts": [bench_writers(scratch_url, writers=1, events=args.events),
                        bench_writers(scratch_url, writers=4, events=args.events)],
            "verify": bench_verify(args.verify_events),
        }
    finally:
        if not args.keep_db:
            connection.creation.destroy_test_db(original_name, verbosity=0)
    summary["targets"] = {
        "events_per_second_4_writers_min": 500,
        "latency_ms_per_write_max": 2,
        "verify_seconds_per_million_max": 60,
        "met": bool(
            summary["inserts"][1]["events_per_second"] >= 500
            and summary["inserts"][0]["latency_ms_mean"] <= 2
            and summary["verify"]["verify_seconds"] / summary["verify"]["events"] * 1_000_000 < 60
        ),
    }
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
