import datetime

import pytest

from caseflow.audit.redaction import REDACTED
from caseflow.audit.services import DEFAULT_REDACTED_FIELDS, audit_diff
from caseflow.cases.models import Case
from tests.factories import TeamFactory


def test_audit_diff_lists_only_changed_fields():
    before = {"level": 2, "status": "active", "phenomenon": ""}
    after = {"level": 3, "status": "active", "phenomenon": "right_wing"}
    assert audit_diff(before, after) == {"level": [2, 3], "phenomenon": ["", "right_wing"]}


def test_audit_diff_treats_a_missing_field_as_none():
    assert audit_diff({"closed_at": None}, {}) == {}
    assert audit_diff({}, {"closure_reason": "goals_met"}) == {"closure_reason": [None, "goals_met"]}


def test_audit_diff_redacts_free_text_and_cpr_fields():
    before = {"justification": "Old reasons.", "concern_text": "", "cpr_number": "0101901234", "goals": "A"}
    after = {"justification": "New reasons.", "concern_text": "Something was said.", "cpr_number": "", "goals": "A"}
    assert audit_diff(before, after) == {
        "concern_text": ["", REDACTED],
        "cpr_number": [REDACTED, ""],
        "justification": [REDACTED, REDACTED],
    }


def test_audit_diff_redacts_any_field_named_like_cpr_and_extra_fields_on_request():
    diff = audit_diff({"person_cpr": "x", "nickname": "a"}, {"person_cpr": "y", "nickname": "b"},
                      redact=DEFAULT_REDACTED_FIELDS | {"nickname"})
    assert diff == {"nickname": [REDACTED, REDACTED], "person_cpr": [REDACTED, REDACTED]}


def test_audit_diff_turns_enums_into_their_values():
    diff = audit_diff(
        {"level": Case.Level.ANTICIPATORY, "opened_on": datetime.date(2026, 1, 1)},
        {"level": Case.Level.INTERVENING, "opened_on": datetime.date(2026, 1, 2)},
    )
    assert diff == {"level": [2, 3], "opened_on": [datetime.date(2026, 1, 1), datetime.date(2026, 1, 2)]}
    assert type(diff["level"][0]) is int


@pytest.mark.django_db
def test_audit_diff_turns_model_instances_into_their_pk():
    old_team, new_team = TeamFactory(), TeamFactory()
    assert audit_diff({"team": old_team}, {"team": new_team}) == {"team": [old_team.pk, new_team.pk]}
    assert audit_diff({"team": old_team}, {"team": old_team}) == {}
