"""Who sees and does what around a meeting (design.md §2, issue 12's matrix): a partner
member never opens a case page, a referral page, a meeting they are not invited to, or
another partner's check marked "må ikke videregives"; only the staff act on a meeting;
denied reads answer 404 and are audited."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from caseflow.audit.models import AuditEvent
from caseflow.meetings import services
from caseflow.meetings.models import Meeting, RegisterCheck
from tests.factories import CaseFactory, TeamFactory, UserFactory

from .conftest import to_screening

pytestmark = pytest.mark.django_db

RESTRICTED = "Fortrolige politioplysninger (fiktive)."
SHARED = "Oplysninger fra Kriminalforsorgen (fiktive)."


@pytest.fixture
def setup(client, worker, supervisor, partner1, partner2):
    """A meeting whose agenda is sent, with two referrals; partner1 recorded a
    restricted check and partner2 a shared one on the first item."""
    first = to_screening(client, worker, first_name="Anders")
    second = to_screening(client, worker, first_name="Bente")
    meeting = services.meeting_create(actor=worker, starts_at=timezone.now() + datetime.timedelta(days=1),
                                      place="Rådhuset", chair=supervisor, minute_taker=worker)
    services.meeting_member_invite(actor=worker, meeting=meeting, user=partner1, authority="Politiet (DKS)")
    services.meeting_member_invite(actor=worker, meeting=meeting, user=partner2, authority="Kriminalforsorgen")
    item = services.meeting_item_add(actor=worker, meeting=meeting, referral=first)
    services.meeting_item_add(actor=worker, meeting=meeting, referral=second)
    services.meeting_agenda_send(actor=worker, meeting=meeting)
    services.register_check_record(actor=partner1, item=item, nothing_found=False, summary=RESTRICTED,
                                   legal_basis="rpl_115", restricted=True)
    services.register_check_record(actor=partner2, item=item, nothing_found=False, summary=SHARED,
                                   legal_basis="rpl_115")
    return meeting, item, first, second


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_partner_never_opens_a_case_page(client, team, worker, partner1, setup):
    case = CaseFactory(team=team, responsible=worker)
    assert get(client, partner1, reverse("cases:detail", args=[case.pk])).status_code == 404
    assert get(client, worker, reverse("cases:detail", args=[case.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="access.denied", actor=partner1, target_type="cases.case").exists()


def test_partner_never_opens_a_referral_page(client, worker, outsider, partner1, setup):
    _, _, first, _ = setup
    elsewhere = to_screening(client, outsider, first_name="Dorte")
    for referral in (first, elsewhere):  # on their own meeting's agenda, and outside their meetings
        assert get(client, partner1, reverse("referrals:detail", args=[referral.pk])).status_code == 404
    assert get(client, worker, reverse("referrals:detail", args=[first.pk])).status_code == 200


def test_partner_sees_only_meetings_they_are_invited_to(client, worker, partner1, partner3, setup):
    meeting, item, _, _ = setup
    assert get(client, partner1, reverse("meetings:detail", args=[meeting.pk])).status_code == 200
    assert get(client, partner3, reverse("meetings:detail", args=[meeting.pk])).status_code == 404
    assert get(client, partner3, reverse("meetings:register_check", args=[item.pk])).status_code == 404
    client.force_login(partner3)
    response = client.post(reverse("meetings:register_check", args=[item.pk]), {"nothing_found": "on"})
    assert response.status_code == 404
    assert not RegisterCheck.objects.filter(member=partner3).exists()
    assert list(get(client, partner3, reverse("meetings:list")).context["meetings"]) == []
    assert list(get(client, partner1, reverse("meetings:list")).context["meetings"]) == [meeting]
    assert AuditEvent.objects.filter(action="access.denied", actor=partner3,
                                     target_type="meetings.meeting", target_id=str(meeting.pk)).exists()


def test_partner_does_not_see_a_planned_meeting(client, worker, supervisor, partner1):
    meeting = services.meeting_create(actor=worker, starts_at=timezone.now(), place="Rådhuset",
                                      chair=supervisor, minute_taker=worker)
    services.meeting_member_invite(actor=worker, meeting=meeting, user=partner1, authority="Politiet (DKS)")
    assert get(client, partner1, reverse("meetings:detail", args=[meeting.pk])).status_code == 404


def test_restricted_check_is_hidden_from_the_other_partners(client, worker, supervisor, partner1, partner2, setup):
    meeting, item, _, _ = setup
    for url in (reverse("meetings:detail", args=[meeting.pk]), reverse("meetings:register_check", args=[item.pk])):
        other = get(client, partner2, url).content.decode()
        assert RESTRICTED not in other
        assert SHARED in other
        assert RESTRICTED in get(client, partner1, url).content.decode()
    for staff in (worker, supervisor):
        assert RESTRICTED in get(client, staff, reverse("meetings:detail", args=[meeting.pk])).content.decode()


@pytest.mark.parametrize("role", ["caseworker_other_team", "child_consultant", "bbu_liaison", "mentor", "auditor"])
def test_others_cannot_open_a_meeting(client, setup, role):
    meeting, item, _, _ = setup
    if role == "caseworker_other_team":
        user = UserFactory(team=TeamFactory(name="Andet hold"), roles=["caseworker"])
    else:
        user = UserFactory(team=None, roles=[role])
    assert get(client, user, reverse("meetings:detail", args=[meeting.pk])).status_code == 404
    assert get(client, user, reverse("meetings:decide", args=[item.pk])).status_code == 404
    # A caseworker of another team plans their own team's meetings; the others plan none.
    expected = 200 if role == "caseworker_other_team" else 403
    assert get(client, user, reverse("meetings:new")).status_code == expected


@pytest.mark.parametrize("action", ["send", "hold", "approve", "invite", "add_item"])
def test_partner_cannot_act_on_the_meeting(client, partner1, setup, action):
    meeting, item, _, _ = setup
    client.force_login(partner1)
    before = AuditEvent.objects.count()
    response = client.post(reverse("meetings:detail", args=[meeting.pk]), {"action": action})
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.AGENDA_SENT
    assert AuditEvent.objects.count() == before
    assert get(client, partner1, reverse("meetings:decide", args=[item.pk])).status_code == 403


def test_staff_do_not_record_register_checks(client, worker, setup):
    _, item, _, _ = setup
    assert get(client, worker, reverse("meetings:register_check", args=[item.pk])).status_code == 403


def test_meeting_page_reads_a_fixed_number_of_queries(client, worker, partner1, partner2, setup):
    meeting, _, _, _ = setup
    url = reverse("meetings:detail", args=[meeting.pk])

    def count(user):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = {user.pk: count(user) for user in (worker, partner1)}
    third = to_screening(client, worker, first_name="Carl")
    fourth = to_screening(client, worker, first_name="Dorthe")
    services.meeting_item_add(actor=worker, meeting=meeting, referral=third)
    item = services.meeting_item_add(actor=worker, meeting=meeting, referral=fourth)
    services.register_check_record(actor=partner2, item=item, nothing_found=True)
    assert {user.pk: count(user) for user in (worker, partner1)} == few


def test_restricted_check_reaches_only_staff_who_may_see_the_persons_restricted_material(
        client, team, worker, supervisor, colleague, setup):
    """Issue 20 point 8: a caseworker of the team with no access to the person's case
    does not see a partner's check tagged "må ikke videregives" about that person; the
    case team and the supervisor do. Before the person has any case, the referral's
    screening team (every caseworker of the team) does."""
    meeting, item, first, _ = setup
    pages = (reverse("meetings:detail", args=[meeting.pk]), reverse("meetings:decide", args=[item.pk]))
    for url in pages:
        response = get(client, colleague, url)
        assert response.status_code == 200, url
        assert RESTRICTED in response.content.decode()
    case = CaseFactory(team=team, responsible=worker, person=first.person)
    assert get(client, colleague, reverse("cases:detail", args=[case.pk])).status_code == 404
    for url in pages:
        page = get(client, colleague, url).content.decode()
        assert RESTRICTED not in page, url
        assert SHARED in page, url
        for user in (worker, supervisor):
            assert RESTRICTED in get(client, user, url).content.decode(), (user, url)
