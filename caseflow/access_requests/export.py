"""The export of an access request's file, as PDF and as JSON: only the released items,
a summary of what was withheld and why, and the statement that the referrer's identity
is withheld.

The CPR number: the export to the person themself carries it in full. It is the person's
own data, processed by the unit, and GDPR art. 15(3) gives the person a copy of the
personal data processed; the pages show it masked. It is decrypted here, in memory, only
for the export, and never logged or audited (the export event records only whether it was
included). An export for a representative carries it masked whatever their authority:
the number is the key to the person's other records, and a representative never needs it
from us.

JSON, schema version 1 (``caseflow.access_request_export``), stable keys::

    {
      "schema": "caseflow.access_request_export",
      "schema_version": 1,
      "exported_at": "<ISO datetime>",
      "language": "da" | "en",
      "request": {"reference", "received_on", "legal_basis", "requester",
                  "due_on", "original_due_on",
                  "delay": null | {"letter_on", "reason", "expected_on"}},
      "person": null (withheld) | {"first_name", "last_name", "birth_date", "cpr",
                                   "cpr_masked", "address", "district",
                                   "school_or_workplace", "language", "needs_interpreter"},
      "items": [{"kind", "id", "date", "title", "release_basis", "content": {...}}],
      "lookups": null (withheld) | [{"date", "time", "purpose", "purpose_code", "action"}],
      "withheld": [{"kind", "basis", "basis_label", "count"}],
      "referrer": {"withheld": true, "basis", "basis_label"}
    }

``items[].kind`` is one of ``ItemKind`` (referral, decision, journal_note, document,
consent, intervention, register_check, disclosure); ``content`` holds that kind's fields
(dates ISO 8601). Documents are references (``content.file.reference`` =
``document:<id>``, name, type, size, SHA-256); the files themselves are handed over
separately. ``withheld`` never names the withheld items, only how many of each kind under
which basis.
"""

from __future__ import annotations

import json
from collections import Counter

from django.utils import timezone, translation
from django.utils.translation import gettext

from caseflow.core.pdf import PdfDocument, PdfSection, render_pdf
from caseflow.people.cpr import cpr_decrypt

from .deadlines import deadline_of
from .file import REFERRER_BASIS, AccessFile, _date_text, _iso, basis_label
from .models import ItemKind

SCHEMA = "caseflow.access_request_export"
SCHEMA_VERSION = 1
FORMAT_PDF = "pdf"
FORMAT_JSON = "json"
EXPORT_FORMATS = (FORMAT_PDF, FORMAT_JSON)


def _withheld_summary(access_file: AccessFile) -> list[dict]:
    counts = Counter((item.kind, item.verdict.basis) for item in access_file.withheld)
    return [{"kind": kind, "basis": basis, "basis_label": basis_label(basis), "count": count}
            for (kind, basis), count in sorted(counts.items())]


def _person_json(access_file: AccessFile) -> dict | None:
    item = access_file.find(ItemKind.PERSON, access_file.request.person_id)
    if item is None or not item.verdict.released:
        return None
    request = access_file.request
    person = request.person
    cpr = cpr_decrypt(person.cpr_encrypted) if cpr_in_export(request) else None
    return {**item.data, "cpr": f"{cpr[:6]}-{cpr[6:]}" if cpr else None}


def cpr_in_export(request) -> bool:
    """The full CPR number goes only to the person themself."""
    return bool(request.person.cpr_encrypted) and request.requester == request.Requester.SUBJECT


def export_json(access_file: AccessFile) -> dict:
    request = access_file.request
    deadline = deadline_of(request)
    lookups = access_file.find(ItemKind.LOOKUPS, 0)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "exported_at": timezone.localtime().isoformat(),
        "language": translation.get_language(),
        "request": {
            "reference": request.reference,
            "received_on": _iso(request.received_on),
            "legal_basis": request.legal_basis,
            "requester": request.requester,
            "due_on": _iso(deadline.due_on),
            "original_due_on": _iso(deadline.original_due_on),
            "delay": ({"letter_on": _iso(request.delay_letter_on), "reason": access_file.scrub(request.delay_reason),
                       "expected_on": _iso(request.delay_expected_on)} if deadline.delayed else None),
        },
        "person": _person_json(access_file),
        "items": [
            {"kind": item.kind, "id": item.object_id, "date": _iso(item.date), "title": item.title,
             "release_basis": item.verdict.basis or None, "content": item.data}
            for item in access_file.released if item.kind not in (ItemKind.PERSON, ItemKind.LOOKUPS)
        ],
        "lookups": lookups.data["lookups"] if lookups is not None and lookups.verdict.released else None,
        "withheld": _withheld_summary(access_file),
        "referrer": {"withheld": True, "basis": REFERRER_BASIS, "basis_label": basis_label(REFERRER_BASIS)},
    }


def export_pdf(access_file: AccessFile) -> bytes:
    request = access_file.request
    deadline = deadline_of(request)
    lead = [
        gettext("Reference: %(reference)s") % {"reference": request.reference},
        gettext("Received: %(date)s") % {"date": _date_text(request.received_on)},
        gettext("Legal basis: %(basis)s") % {"basis": request.get_legal_basis_display()},
        gettext("Exported: %(time)s") % {"time": _date_text(timezone.now())},
    ]
    if deadline.delayed:
        lead.append(gettext("Delay letter of %(letter)s: answer expected by %(date)s. Reason: %(reason)s") % {
            "letter": _date_text(request.delay_letter_on), "date": _date_text(request.delay_expected_on),
            "reason": access_file.scrub(request.delay_reason)})
    sections: list[PdfSection] = []
    person = _person_json(access_file)
    person_item = access_file.find(ItemKind.PERSON, request.person_id)
    if person is not None:
        rows = [(label, person["cpr"] if label == gettext("CPR number") and person["cpr"] else value)
                for label, value in person_item.fields]
        sections.append(PdfSection(heading=gettext("Personal data"),
                                   table=[(gettext("Field"), gettext("Value")), *rows],
                                   column_widths_mm=(50, 124)))
    for kind, label in ItemKind.choices:
        if kind in (ItemKind.PERSON, ItemKind.LOOKUPS):
            continue
        for item in (i for i in access_file.released if i.kind == kind):
            paragraphs = []
            if item.verdict.basis:
                paragraphs.append(gettext("Released: %(basis)s") % {"basis": item.verdict.basis_label})
            sections.append(PdfSection(
                heading=f"{label}: {item.title}", paragraphs=paragraphs,
                table=[(gettext("Field"), gettext("Value")), *item.fields], column_widths_mm=(50, 124)))
    lookups = access_file.find(ItemKind.LOOKUPS, 0)
    if lookups is not None and lookups.verdict.released:
        sections.append(PdfSection(
            heading=gettext("Look-ups of your data"),
            paragraphs=[gettext("When your cases, referrals and personal data were looked up, and why.")],
            table=[(gettext("Date"), gettext("Time"), gettext("Purpose")),
                   *[(_date_text(timezone.localdate(at)), timezone.localtime(at).strftime("%H:%M"), purpose)
                     for at, purpose, _code, _action in lookups.rows]]
            if lookups.rows else (),
            column_widths_mm=(35, 20, 119)))
    withheld = _withheld_summary(access_file)
    paragraphs = [gettext("The identity of the person who made the referral is withheld (%(basis)s).")
                  % {"basis": basis_label(REFERRER_BASIS)}]
    table = ()
    if withheld:
        kinds = dict(ItemKind.choices)
        table = [(gettext("Kind"), gettext("Legal basis"), gettext("Number")),
                 *[(str(kinds[w["kind"]]), w["basis_label"], str(w["count"])) for w in withheld]]
    sections.append(PdfSection(heading=gettext("Withheld"), paragraphs=paragraphs, table=table,
                               column_widths_mm=(50, 104, 20)))
    return render_pdf(PdfDocument(
        title=gettext("Access to your file"), lead=lead, sections=sections,
        footer=gettext("Access request %(reference)s") % {"reference": request.reference},
        page_label=gettext("Page %(page)d")))


def export_render(access_file: AccessFile, *, export_format: str) -> tuple[bytes, str, str]:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = f"{access_file.request.reference.lower()}-{stamp}"
    if export_format == FORMAT_JSON:
        content = json.dumps(export_json(access_file), ensure_ascii=False, indent=2).encode("utf-8")
        return content, f"{name}.json", "application/json; charset=utf-8"
    return export_pdf(access_file), f"{name}.pdf", "application/pdf"
