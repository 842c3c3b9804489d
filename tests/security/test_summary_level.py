"""Summary level holds on every page of an object (issue 20 point 4): the BBU liaison
sees a minor's case at summary level, so an intervention of that case shows them its
kind, status and dates, never its goals, sessions or reviews. The provider and the
case team see the whole intervention."""

import pytest
from django.urls import reverse

from caseflow.interventions.models import Intervention, InterventionSession
from permissions.policy import Action, can

pytestmark = pytest.mark.django_db


def _mentor_intervention(demo):
    return Intervention.objects.get(provider=demo["mentor1"])


@pytest.mark.parametrize(("username", "sees_file"), [
    ("bbu1", False), ("mentor1", True), ("caseworker1", True), ("consultant", True), ("supervisor", True),
])
def test_intervention_page_shows_its_file_only_to_whom_the_policy_allows(client, demo, username, sees_file):
    intervention = _mentor_intervention(demo)
    user = demo[username]
    assert can(user, Action.VIEW, intervention)
    assert can(user, Action.VIEW_FILE, intervention) is sees_file
    sessions = list(InterventionSession.objects.filter(intervention=intervention))
    assert sessions, "the demo's mentor programme has sessions"
    client.force_login(user)
    response = client.get(reverse("interventions:detail", args=[intervention.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert intervention.get_kind_display() in content
    for session in sessions:
        assert (session.topic in content) is sees_file, (username, session.topic)
    if intervention.goals:
        assert (intervention.goals.splitlines()[0] in content) is sees_file


def test_bbu_cannot_log_a_session(client, demo):
    intervention = _mentor_intervention(demo)
    client.force_login(demo["bbu1"])
    before = InterventionSession.objects.count()
    response = client.post(reverse("interventions:detail", args=[intervention.pk]),
                           {"session-held_on": "2026-01-05", "session-duration_minutes": "30", "session-topic": "x"})
    assert response.status_code == 403
    assert InterventionSession.objects.count() == before
