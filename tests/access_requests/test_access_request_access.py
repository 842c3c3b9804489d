"""Who may (issue 20 point 1, through ``permissions.policy``): the team's supervisor reads
the team's requests; a caseworker those they handle and those about a person whose case
or referral they may view, the file filtered to what they may see; the handler and the
supervisor act on them; other caseworkers of the team, other teams and other roles never
do (403 on the list, 404 with ``access.denied`` on a request or a person)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from caseflow.access_requests import services
from caseflow.access_requests.models import AccessRequest
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


def test_list_for_the_team_and_audited(client, worker, supervisor, co_worker, colleague, access_request):
    for user in (worker, supervisor, co_worker):
        response = get(client, user, reverse("access_requests:list"))
        assert response.status_code == 200
        assert access_request.reference in response.content.decode()
    event = AuditEvent.objects.filter(action="access_request.listed").latest("sequence")
    assert event.extra["ids"] == [access_request.pk]
    response = get(client, colleague, reverse("access_requests:list"))
    assert response.status_code == 200
    assert access_request.reference not in response.content.decode()


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


def test_detail_for_the_case_team_404_for_everyone_else(client, worker, co_worker, colleague, consultant, others,
                                                       access_request):
    url = reverse("access_requests:detail", args=[access_request.pk])
    assert get(client, worker, url).status_code == 200
    assert get(client, co_worker, url).status_code == 200
    viewed = AuditEvent.objects.filter(action="access_request.viewed", actor=co_worker).get()
    assert viewed.extra["case_ids"] == [access_request.person.cases.get().pk]
    for user in (colleague, consultant, *others.values()):
        assert get(client, user, url).status_code == 404, user
        assert AuditEvent.objects.filter(action="access.denied", actor=user,
                                         target_type="access_requests.accessrequest").exists()


def test_only_handler_and_supervisor_act(client, worker, supervisor, co_worker, access_request):
    export = reverse("access_requests:export", args=[access_request.pk, "json"])
    decide = reverse("access_requests:decide", args=[access_request.pk, "person", access_request.person_id])
    assert get(client, co_worker, export).status_code == 403
    assert get(client, co_worker, decide).status_code == 403
    client.force_login(co_worker)
    assert client.post(reverse("access_requests:complete", args=[access_request.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="access_request.exported").exists()
    assert get(client, supervisor, export).status_code == 200
    assert get(client, worker, export).status_code == 200
    assert get(client, worker, decide).status_code == 200


def test_register_only_for_a_person_whose_case_one_may_view(client, worker, outsider, consultant, colleague,
                                                           person, case):
    url = reverse("access_requests:new", args=[person.pk])
    assert get(client, worker, url).status_code == 200
    assert get(client, outsider, url).status_code == 404
    assert get(client, consultant, url).status_code == 404
    # A caseworker of the same team who gets 404 on the case gets 404 here too, and
    # posting the form registers nothing.
    assert get(client, colleague, reverse("cases:detail", args=[case.pk])).status_code == 404
    assert get(client, colleague, url).status_code == 404
    client.force_login(colleague)
    response = client.post(url, {"received_on": timezone.localdate().isoformat(), "legal_basis": "gdpr_15",
                                 "requester": "subject"})
    assert response.status_code == 404
    assert not AccessRequest.objects.filter(person=person).exists()
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


def test_another_handlers_request_is_404_for_a_caseworker_without_the_case(client, colleague, access_request,
                                                                          material):
    """The reported leak: a colleague of the team opens another handler's request and
    reads the assembled file of a case they may not see."""
    from .conftest import CONCERN, ORDINARY_NOTE, RESTRICTED_NOTE

    response = get(client, colleague, reverse("access_requests:detail", args=[access_request.pk]))
    assert response.status_code == 404
    for text in (CONCERN, ORDINARY_NOTE, RESTRICTED_NOTE):
        assert text not in response.content.decode()
    assert AuditEvent.objects.filter(action="access.denied", actor=colleague, target_id=str(access_request.pk),
                                     target_type="access_requests.accessrequest").exists()


def test_a_reader_sees_only_the_items_the_policy_lets_them_see(client, team, worker, colleague, person,
                                                               access_request, material):
    """A colleague who screens a new referral about the person may read the request, but
    of its file only the person and that referral: not the case's notes, decisions,
    documents or the look-ups."""
    from tests.factories import ReferralFactory

    from .conftest import CONCERN, JUSTIFICATION, ORDINARY_NOTE, RESTRICTED_NOTE

    screening = ReferralFactory(team=team, person=person, registered_by=worker,
                                concern_text="Fiktiv ny bekymring fra fritidsklubben.")
    response = get(client, colleague, reverse("access_requests:detail", args=[access_request.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Fiktiv ny bekymring fra fritidsklubben." in page
    for text in (CONCERN, ORDINARY_NOTE, RESTRICTED_NOTE, JUSTIFICATION, material["document"].subject):
        assert text not in page, text
    viewed = AuditEvent.objects.filter(action="access_request.viewed", actor=colleague).get()
    assert viewed.extra["case_ids"] == []
    assert viewed.extra["referral_ids"] == [screening.pk]
    assert viewed.extra["whole_file"] is False
    # The handler sees the whole file.
    page = get(client, worker, reverse("access_requests:detail", args=[access_request.pk])).content.decode()
    for text in (CONCERN, ORDINARY_NOTE, RESTRICTED_NOTE, JUSTIFICATION):
        assert text in page, text
