"""Fixtures for the audit trail's tests (real PostgreSQL: ``make test``)."""

import pytest
from django.db import connection
from django.utils import translation

from caseflow.audit.actions import AuditAction
from caseflow.audit.services import audit_record


@pytest.fixture(autouse=True)
def _english_messages():
    """The verification messages are translated; these tests read the English ones
    (the Danish catalogue is checked by tests/test_locale.py)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def audit_head_file(settings, tmp_path):
    """Each test has its own head-export file (never the real one under var/)."""
    settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH = tmp_path / "audit-heads.jsonl"
    return settings.CASEFLOW_AUDIT_HEAD_EXPORT_PATH


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL (run it with make test)")
    return connection


@pytest.fixture
def record_events():
    """``record_events(n, action=...)`` appends ``n`` events and returns them."""

    def record(count, *, action=AuditAction.CASE_VIEWED, actor=None, **fields):
        return [
            audit_record(actor=actor, action=action, target_type="cases.case", target_id=str(1000 + index),
                         case_id=1000 + index, **fields)
            for index in range(count)
        ]

    return record
