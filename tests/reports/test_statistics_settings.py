"""The statistics key setting, read by a fresh interpreter with a controlled
environment: production refuses a short key; unset, a key is derived from the CPR key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PROBE = """
import django
django.setup()
from caseflow.reports.keys import statistics_pseudonym
print(statistics_pseudonym("referral", 1))
"""
PRODUCTION = {"CASEFLOW_DEBUG": "false", "CASEFLOW_SECRET_KEY": "s" * 60, "CASEFLOW_CPR_KEY": "c" * 40}


def _run(overrides: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEFLOW_", "DATABASE_URL", "REDIS_URL"))}
    env.update({"DJANGO_SETTINGS_MODULE": "caseflow.settings", **overrides})
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_production_refuses_a_short_statistics_key():
    result = _run({**PRODUCTION, "CASEFLOW_STATISTICS_KEY": "too-short"})
    assert result.returncode != 0
    assert "CASEFLOW_STATISTICS_KEY" in result.stderr


def test_production_derives_the_key_from_the_cpr_key_when_unset_and_uses_an_explicit_one():
    derived = _run(PRODUCTION)
    assert derived.returncode == 0, derived.stderr
    explicit = _run({**PRODUCTION, "CASEFLOW_STATISTICS_KEY": "k" * 40})
    assert explicit.returncode == 0, explicit.stderr
    other_cpr_key = _run({**PRODUCTION, "CASEFLOW_CPR_KEY": "d" * 40})
    pseudonyms = {derived.stdout.strip(), explicit.stdout.strip(), other_cpr_key.stdout.strip()}
    assert len(pseudonyms) == 3
    assert all(len(p) == 64 for p in pseudonyms)
