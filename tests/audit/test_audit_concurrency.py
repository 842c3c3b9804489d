"""Four writer processes on PostgreSQL: one gapless chain, no fork."""

import json
import os
import subprocess
import sys
import time
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from caseflow.audit.models import AuditEvent
from tests.audit.helpers import database_url
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 4
EVENTS_PER_WRITER = 50


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_four_writer_processes_keep_one_gapless_chain(postgresql, tmp_path):
    actor = UserFactory()
    head_before = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    env = {**os.environ, "DATABASE_URL": database_url(),
           "CASEFLOW_AUDIT_HEAD_EXPORT_PATH": str(tmp_path / "audit-heads.jsonl")}
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.audit.concurrent_writer", "--label", f"w{n}",
             "--count", str(EVENTS_PER_WRITER), "--actor-id", str(actor.pk), "--barrier", str(tmp_path)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(WRITERS)
    ]
    try:
        deadline = time.monotonic() + 90
        while len(list(tmp_path.glob("ready-*"))) < WRITERS:
            assert all(w.poll() is None for w in writers), [w.communicate() for w in writers if w.poll() is not None]
            assert time.monotonic() < deadline, "writers did not start"
            time.sleep(0.05)
        (tmp_path / "go").touch()
        outputs = [w.communicate(timeout=120) for w in writers]
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
    assert [w.returncode for w in writers] == [0] * WRITERS, [err for _out, err in outputs]
    written = [sequence for out, _err in outputs for sequence in json.loads(out)]

    total = WRITERS * EVENTS_PER_WRITER
    assert sorted(written) == list(range(head_before + 1, head_before + total + 1))  # gapless, no duplicate
    events = list(AuditEvent.objects.filter(sequence__gt=head_before).order_by("sequence"))
    assert [e.sequence for e in events] == sorted(written)
    previous = AuditEvent.objects.filter(sequence=head_before).values_list("hash", flat=True).first()
    for event in events:  # one linear chain: every event links to the one before it
        if previous is not None:
            assert event.prev_hash == previous
        previous = event.hash
    assert len({e.prev_hash for e in events}) == total  # no fork: no two events share a parent
    assert Counter(e.extra["writer"] for e in events) == {f"w{n}": EVENTS_PER_WRITER for n in range(WRITERS)}
    assert len({e.request_id for e in events}) == WRITERS

    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().strip() == f"intact ({AuditEvent.objects.count()} events)"
    command = subprocess.run(
        [sys.executable, "manage.py", "audit_verify"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert command.returncode == 0, command.stderr
    assert command.stdout.startswith("intact (")
