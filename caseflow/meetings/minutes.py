"""The minutes of a meeting as a PDF, generated from its decisions (caseflow.core.pdf).

What they hold: date, place, chair, minute-taker, the members invited and present with
their authorities, and per item its reference, kind, outcome (or, for a case, the
meeting's recommendation), justification, dissent, a minor's co-signature status and
the register checks' results. Never the referrer, a CPR number, the concern text, or
the content of a register check marked "må ikke videregives"."""

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from caseflow.core.pdf import PdfDocument, PdfSection, render_pdf

from .models import AgendaItem, Meeting


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _check_line(check) -> str:
    if check.restricted:
        return _("%(authority)s: information recorded; may not be passed on (not in the minutes).") % {
            "authority": check.authority}
    if check.nothing_found:
        return _("%(authority)s: nothing found.") % {"authority": check.authority}
    basis = check.get_legal_basis_display()
    if check.legal_basis_other:
        basis = f"{basis}: {check.legal_basis_other}"
    return _("%(authority)s: %(summary)s (legal basis: %(basis)s)") % {
        "authority": check.authority, "summary": check.summary, "basis": basis}


def _item_section(item: AgendaItem) -> PdfSection:
    lines = []
    if item.is_case:
        lines.append(_("Case discussion: %(reason)s") % {"reason": item.get_case_reason_display()})
    else:
        lines.append(_("Referral screening"))
    if item.decided_at is None:
        lines.append(_("Outcome: not decided"))
    elif item.is_case:
        lines.append(_("Recommendation: %(text)s") % {"text": item.recommendation})
        lines.append(_("Discussion note: %(text)s") % {"text": item.justification})
    else:
        lines.append(_("Outcome: %(label)s") % {"label": item.get_outcome_display()})
        lines.append(_("Justification: %(text)s") % {"text": item.justification})
    if item.decided_at is not None:
        lines.append(_("Dissent: %(text)s") % {"text": item.dissent or _("none")})
        lines.append(_("Decided: %(when)s") % {"when": _when(item.decided_at)})
    if getattr(item, "cosignature", ""):
        lines.append(_("Co-signature (minor): %(status)s") % {"status": item.cosignature})
    if item.is_returned and getattr(item, "cosign_at", None):
        lines.append(_("Returned by the child-focused consultant on %(when)s: %(text)s") % {
            "when": _when(item.cosign_at), "text": item.cosign_justification or ""})
    checks = list(getattr(item, "visible_checks", ()))
    if checks:
        lines.append(_("Register checks:"))
        lines += [f"– {_check_line(check)}" for check in checks]
    return PdfSection(heading=f"{item.order}. {item.subject_reference}", paragraphs=lines)


def minutes_document(meeting: Meeting) -> PdfDocument:
    approved = meeting.status == Meeting.Status.MINUTES_APPROVED
    lead = [
        _("Date and time: %(when)s") % {"when": _when(meeting.starts_at)},
        _("Place: %(place)s") % {"place": meeting.place},
        _("Chair: %(name)s") % {"name": _name(meeting.chair)},
        _("Minute-taker: %(name)s") % {"name": _name(meeting.minute_taker)},
        (_("Minutes approved by the chair on %(when)s") % {"when": _when(meeting.minutes_approved_at)}
         if approved else _("Draft: the chair has not approved the minutes yet.")),
    ]
    members = [[_("Member"), _("Authority"), _("Present")]]
    members += [[_name(member.user), member.authority, _("yes") if member.present else _("no")]
                for member in meeting.members.all()]
    sections = [PdfSection(heading=_("Members"), table=members, column_widths_mm=(70, 70, 30))]
    sections += [_item_section(item) for item in meeting.items.all()]
    return PdfDocument(
        title=_("Minutes of the coordination-unit meeting"), lead=lead, sections=sections,
        footer=_("Confidential: minutes of the coordination unit"), page_label=_("Page %(page)d"),
    )


def minutes_pdf(meeting: Meeting) -> bytes:
    return render_pdf(minutes_document(meeting))


def minutes_filename(meeting: Meeting) -> str:
    return f"minutes-{timezone.localtime(meeting.starts_at):%Y-%m-%d}-{meeting.pk}.pdf"
