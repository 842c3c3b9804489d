"""Who may: the team's caseworkers and supervisor read the team's requests; the handler
and the supervisor act on them; other teams and other roles never do (403 on the list,
404 with ``access.denied`` on a request or a person)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from caseflow.access_requests import services
from caseflow.audit.models import AuditEvent
from tests.factories import CaseFactory, PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def access_request(worker, person, case):
    return services.access_request_register(actor=worker, person=person, received_on=timezone.localdate(),
                                            legal_basis="gdpr_15", requester="subject")


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_list_for_the_team_and_audited(client, worker, supervisor, colleague, access_request):
    for user in (worker, supervisor, colleague):
        response = get(client, user, reverse("access_requests:list"))
        assert response.status_code == 200
        assert access_request.reference in response.content.decode()
    event = AuditEvent.objects.filter(action="access_request.listed").latest("sequence")
    assert event.extra["ids"] == [access_request.pk]


def test_list_refused_for_other_roles(client, consultant, others, access_request):
    for user in (consultant, *others.values()):
        assert get(client, user, reverse("access_requests:list")).status_code == 403, user
        assert get(client, user, reverse("access_requests:find_person")).status_code == 403, user


def test_other_team_sees_nothing(client, outsider, access_request):
    response = get(client, outsider, reverse("access_requests:list"))
    assert response.status_code == 200
    assert access_request.reference not in response.content.decode()
    assert get(client, outsider, reverse("access_requests:detail", args=[access_request.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=outsider,
                                     target_type="access_requests.accessrequest",
                                     target_id=str(access_request.pk)).exists()
    assert get(client, outsider, reverse("access_requests:export", args=[access_request.pk, "json"])).status_code == 404


def test_detail_for_the_team_404_for_other_roles(client, worker, colleague, consultant, others, access_request):
    url = reverse("access_requests:detail", args=[access_request.pk])
    assert get(client, worker, url).status_code == 200
    assert get(client, colleague, url).status_code == 200
    viewed = AuditEvent.objects.filter(action="access_request.viewed", actor=colleague).get()
    assert viewed.extra["case_ids"] == [access_request.person.cases.get().pk]
    for user in (consultant, *others.values()):
        assert get(client, user, url).status_code == 404, user
        assert AuditEvent.objects.filter(action="access.denied", actor=user,
                                         target_type="access_requests.accessrequest").exists()


def test_only_handler_and_supervisor_act(client, worker, supervisor, colleague, access_request):
    export = reverse("access_requests:export", args=[access_request.pk, "json"])
    decide = reverse("access_requests:decide", args=[access_request.pk, "person", access_request.person_id])
    assert get(client, colleague, export).status_code == 403
    assert get(client, colleague, decide).status_code == 403
    client.force_login(colleague)
    assert client.post(reverse("access_requests:complete", args=[access_request.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="access_request.exported").exists()
    assert get(client, supervisor, export).status_code == 200
    assert get(client, worker, export).status_code == 200
    assert get(client, worker, decide).status_code == 200


def test_register_only_for_a_person_of_the_team(client, worker, outsider, consultant, person, case):
    url = reverse("access_requests:new", args=[person.pk])
    assert get(client, worker, url).status_code == 200
    assert get(client, outsider, url).status_code == 404
    assert get(client, consultant, url).status_code == 404
    stranger = PersonFactory(first_name="Fremmed")
    CaseFactory(team=TeamFactory(name="Andet hold"), person=stranger)
    assert get(client, worker, reverse("access_requests:new", args=[stranger.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=worker, target_type="people.person",
                                     target_id=str(stranger.pk)).exists()


def test_person_found_through_the_person_search(client, supervisor, person, case):
    client.force_login(supervisor)
    response = client.post(reverse("access_requests:find_person"), {"q": "Anders Fiktivsen"})
    assert response.status_code == 200
    assert reverse("access_requests:new", args=[person.pk]) in response.content.decode()
    assert AuditEvent.objects.filter(action="person.searched", actor=supervisor).exists()
