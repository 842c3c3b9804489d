"""The supervisors' retention pages, both ways: the team's supervisor lists, decides,
sets and lifts; everyone else gets 403 on the lists and 404 (with ``access.denied``) on
objects; bad input is a translated form error and writes nothing."""

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.urls import reverse

from caseflow.audit.models import AuditEvent
from caseflow.cases.models import Case
from caseflow.retention.models import ArchiveReview, LegalHold
from caseflow.retention.services import legal_hold_set, retention_run
from tests.factories import TeamFactory, UserFactory

from .conftest import CHILD

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_supervisor():
    return UserFactory(team=TeamFactory(name="Andet hold"), roles=["supervisor"])


@pytest.fixture
def review(build_case):
    graph = build_case(birth_date=CHILD)
    with time_machine.travel(graph.case.closed_at + relativedelta(years=5), tick=False):
        retention_run()
    return ArchiveReview.objects.get()


def get(client, user, url):
    client.force_login(user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


def post(client, user, url, data):
    client.force_login(user)
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")


def test_review_list_for_the_teams_supervisor(client, supervisor, review):
    response = get(client, supervisor, reverse("retention:reviews"))
    assert response.status_code == 200
    assert review.case_reference in response.content.decode()
    event = AuditEvent.objects.get(action="retention.review_listed")
    assert event.actor == supervisor
    assert event.extra["review_ids"] == [review.pk]


def test_review_list_refused_or_empty_for_others(client, worker, consultant, other_supervisor, review):
    for user in (worker, consultant):
        assert get(client, user, reverse("retention:reviews")).status_code == 403
    response = get(client, other_supervisor, reverse("retention:reviews"))
    assert response.status_code == 200
    assert review.case_reference not in response.content.decode()
    assert get(client, worker, reverse("retention:holds")).status_code == 403


def test_review_page_is_404_for_others(client, worker, other_supervisor, review):
    url = reverse("retention:review_decide", args=[review.pk])
    for user in (worker, other_supervisor):
        assert get(client, user, url).status_code == 404
        assert post(client, user, url, {"decision": "delete", "reason": "Slet."}).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", target_type="retention.archivereview",
                                     target_id=str(review.pk)).count() == 4
    assert Case.objects.filter(pk=review.case_id).exists()
    assert ArchiveReview.objects.get().status == ArchiveReview.Status.PENDING


def test_review_keep_needs_years_and_reason(client, supervisor, review):
    url = reverse("retention:review_decide", args=[review.pk])
    assert get(client, supervisor, url).status_code == 200
    response = post(client, supervisor, url, {"decision": "keep", "reason": "Bevares."})
    assert response.status_code == 200
    assert "keep_years" in response.context["form"].errors
    response = post(client, supervisor, url, {"decision": "keep", "keep_years": "99", "reason": "Bevares."})
    assert "keep_years" in response.context["form"].errors
    response = post(client, supervisor, url, {"decision": "delete", "reason": ""})
    assert "reason" in response.context["form"].errors
    assert ArchiveReview.objects.get().status == ArchiveReview.Status.PENDING
    assert not AuditEvent.objects.filter(action="retention.review_decided").exists()

    response = post(client, supervisor, url, {"decision": "keep", "keep_years": "3", "reason": "Arkivet beder."})
    assert response.status_code == 302
    assert ArchiveReview.objects.get().status == ArchiveReview.Status.KEPT


def test_review_delete_from_the_page(client, supervisor, review, django_capture_on_commit_callbacks):
    url = reverse("retention:review_decide", args=[review.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, supervisor, url, {"decision": "delete", "reason": "Gennemgået."})
    assert response.status_code == 302
    assert not Case.objects.filter(pk=review.case_id).exists()
    event = AuditEvent.objects.get(action="retention.review_decided")
    assert event.actor == supervisor
    assert event.extra["decision"] == "deleted"


def test_legal_hold_set_and_lift_through_the_pages(client, supervisor, build_case):
    graph = build_case()
    url = reverse("retention:holds")
    assert get(client, supervisor, url).status_code == 200
    response = post(client, supervisor, url, {"reference": graph.case.reference.lower(), "reason": "Retssag."})
    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.case_id, hold.set_by, hold.target_reference) == (graph.case.pk, supervisor, graph.case.reference)
    assert graph.case.reference in get(client, supervisor, url).content.decode()

    lift_url = reverse("retention:hold_lift", args=[hold.pk])
    response = post(client, supervisor, lift_url, {"reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert post(client, supervisor, lift_url, {"reason": "Afsluttet."}).status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_by == supervisor
    response = post(client, supervisor, lift_url, {"reason": "Igen."})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert AuditEvent.objects.filter(action="retention.legal_hold_lifted").count() == 1


def test_legal_hold_form_errors_write_nothing(client, supervisor, other_supervisor, worker, build_case):
    graph = build_case()
    url = reverse("retention:holds")
    for data in ({"reference": "KE-1999-0001", "reason": "Retssag."}, {"reference": graph.case.reference, "reason": ""}):
        response = post(client, supervisor, url, data)
        assert response.status_code == 200
        assert response.context["form"].errors
    # Another team's supervisor cannot find the case (not even that it exists).
    response = post(client, other_supervisor, url, {"reference": graph.case.reference, "reason": "Retssag."})
    assert response.context["form"].errors["reference"]
    assert post(client, worker, url, {"reference": graph.case.reference, "reason": "Retssag."}).status_code == 403
    assert not LegalHold.objects.exists()
    assert not AuditEvent.objects.filter(action="retention.legal_hold_set").exists()


def test_legal_hold_lift_is_404_for_others(client, supervisor, other_supervisor, worker, build_case):
    graph = build_case()
    hold = legal_hold_set(actor=supervisor, target=graph.case, reason="Retssag.")
    url = reverse("retention:hold_lift", args=[hold.pk])
    for user in (other_supervisor, worker):
        assert post(client, user, url, {"reason": "Nej."}).status_code == 404
    assert LegalHold.objects.get().lifted_at is None
    assert AuditEvent.objects.filter(action="access.denied", target_type="retention.legalhold").count() == 2


def test_menu_entry_only_for_supervisors(client, supervisor, worker):
    assert reverse("retention:reviews") in get(client, supervisor, reverse("dashboard:home")).content.decode()
    assert reverse("retention:reviews") not in get(client, worker, reverse("dashboard:home")).content.decode()


def test_deletion_records_for_the_auditor_and_the_teams_supervisor(client, supervisor, other_supervisor, worker,
                                                                  build_case):
    graph = build_case()
    with time_machine.travel(graph.case.closed_at + relativedelta(years=5), tick=False):
        retention_run()
    url = reverse("retention:records")
    auditor = UserFactory(team=None, roles=["auditor"])
    for user in (auditor, supervisor):
        response = get(client, user, url)
        assert response.status_code == 200
        assert graph.case.reference in response.content.decode()
    assert graph.case.reference not in get(client, other_supervisor, url).content.decode()
    assert get(client, worker, url).status_code == 403
