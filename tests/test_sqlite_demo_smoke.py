"""`make run`'s zero-setup mode (SQLite, eager Celery, local cache) with the seeded demo:
every demo user's main pages answer without a server error. Runs in a subprocess, so
the real settings switch to SQLite exactly as they do for `make run`."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import json, django
django.setup()
from django.core.management import call_command
from django.test import Client
from caseflow.accounts.models import User
from caseflow.cases.models import Case
from caseflow.interventions.models import Intervention
from caseflow.referrals.models import Referral
from django.conf import settings
assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)
call_command("seed_demo", verbosity=0)
urls = ["/cases/", "/tasks/", "/tasks/queue/", "/referrals/new/", "/people/search/?q=Demo", "/access/emergency/reviews/", "/audit/",
        "/audit/export.csv"]
urls += [f"/cases/{c.pk}/" for c in Case.objects.all()] + [f"/cases/{c.pk}/history/" for c in Case.objects.all()]
urls += [f"/interventions/{i.pk}/" for i in Intervention.objects.all()]
urls += [f"/referrals/{r.pk}/" for r in Referral.objects.all()]
result = {}
for user in User.objects.all():
    client = Client(raise_request_exception=False)
    client.force_login(user)
    result[user.username] = {url: client.get(url).status_code for url in urls}
# Without OpenTask's triggers the task lists join viewflow's tables: the same demo lists.
from django.core.paginator import Paginator
from workflows.selectors import task_inbox_pages, task_queue_pages
lists = {}
for username in ("caseworker1", "caseworker2", "mentor1"):
    user = User.objects.get(username=username)
    lists[username] = [Paginator(pages(actor=user), 50).get_page(1).paginator.count
                       for pages in (task_inbox_pages, task_queue_pages)]
result["_task_lists"] = lists
print(json.dumps(result))
"""


def test_sqlite_demo_pages_answer_for_every_demo_user(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"CASEFLOW_DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
                "DEMO_PASSWORD": "demo", "CASEFLOW_AUDIT_HEAD_EXPORT_PATH": str(tmp_path / "heads.jsonl"),
                "DJANGO_SETTINGS_MODULE": "caseflow.settings"})
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    statuses = json.loads(result.stdout.strip().splitlines()[-1])
    # The demo's inboxes and queues (tests/demo on PostgreSQL): 2 + 1 follow-ups, 3 screenings.
    assert statuses.pop("_task_lists") == {"caseworker1": [2, 3], "caseworker2": [1, 3], "mentor1": [0, 0]}
    errors = {(user, url): code for user, pages in statuses.items() for url, code in pages.items() if code >= 500}
    assert errors == {}
    assert statuses["caseworker1"]["/cases/"] == 200
    assert statuses["supervisor"]["/audit/"] == 200
    assert statuses["auditor"]["/audit/export.csv"] == 200
    assert statuses["mentor1"]["/cases/"] == 200
