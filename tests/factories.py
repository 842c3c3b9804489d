"""factory_boy factories; all data fictional."""

import datetime

import factory
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from caseflow.accounts.models import Team, User
from caseflow.cases.models import Case
from caseflow.interventions.models import Intervention
from caseflow.people.models import Person
from caseflow.referrals.models import Referral


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Testhold {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Bruger{n}")
    team = factory.SubFactory(TeamFactory)
    password = factory.django.Password("test-password-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(Group.objects.get_or_create(name=role)[0])


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Sequence(lambda n: f"Fiktiv{n}")
    last_name = "Testesen"
    birth_date = datetime.date(2000, 5, 17)


class CaseFactory(DjangoModelFactory):
    """A case with the grants ``case_open`` would give: the responsible caseworker's,
    and the consultants' for a minor's case."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"KE-2026-{9000 + n:04d}")
    person = factory.SubFactory(PersonFactory)
    team = factory.SubFactory(TeamFactory)
    level = Case.Level.ANTICIPATORY

    @factory.post_generation
    def grants(self, create, extracted, **kwargs):
        if not create:
            return
        from permissions.models import GrantKind
        from permissions.services import case_access_grant, case_consultant_access_sync

        if self.responsible is not None:
            case_access_grant(actor=None, case=self, kind=GrantKind.ASSIGNED, user=self.responsible)
        case_consultant_access_sync(actor=None, case=self)


class ReferralFactory(DjangoModelFactory):
    class Meta:
        model = Referral

    reference = factory.Sequence(lambda n: f"HV-2026-{9000 + n:04d}")
    channel = Referral.Channel.PHONE
    referrer_type = Referral.ReferrerType.PRIMARY_SCHOOL
    concern_text = "Fiktiv bekymring."
    team = factory.SubFactory(TeamFactory)
    registered_by = factory.SubFactory(UserFactory)


class InterventionFactory(DjangoModelFactory):
    class Meta:
        model = Intervention

    case = factory.SubFactory(CaseFactory)
    kind = Intervention.Kind.MENTOR


def grant(obj, user, kind, valid_until=None):
    """Give ``user`` a grant of ``kind`` on ``obj`` through the grant service."""
    from permissions.services import access_grant

    return access_grant(actor=None, obj=obj, kind=kind, user=user, valid_until=valid_until)
