"""PDF documents built from plain text blocks (reportlab; no HTML, no external fonts).

Callers (minutes of a meeting, an access-request export) translate their own strings and
pass plain text: every string is escaped here, so content can never inject markup.
Helvetica's WinAnsi encoding covers Danish letters (æ, ø, å).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)


@dataclass(frozen=True)
class PdfSection:
    """One headed part of a document: paragraphs, then optionally a table (first row = header)."""

    heading: str
    paragraphs: Sequence[str] = ()
    table: Sequence[Sequence[str]] = ()
    column_widths_mm: Sequence[float] = ()


@dataclass(frozen=True)
class PdfDocument:
    title: str
    lead: Sequence[str] = ()  # lines under the title (reference, dates, ...)
    sections: Sequence[PdfSection] = field(default_factory=tuple)
    footer: str = ""  # printed on every page before the page number
    page_label: str = "%(page)d"  # e.g. _("Page %(page)d"), formatted with the page number


def _text(value: object) -> str:
    """Escape for reportlab's mini-markup; keep line breaks."""
    return escape(str(value)).replace("\n", "<br/>")


def render_pdf(document: PdfDocument) -> bytes:
    styles = getSampleStyleSheet()
    body = ParagraphStyle("CaseflowBody", parent=styles["BodyText"], fontName="Helvetica", fontSize=10,
                          leading=13)
    cell = ParagraphStyle("CaseflowCell", parent=body, fontSize=9, leading=11)
    head_cell = ParagraphStyle("CaseflowHeadCell", parent=cell, fontName="Helvetica-Bold")
    title = ParagraphStyle("CaseflowTitle", parent=styles["Title"], fontName="Helvetica-Bold", fontSize=16)
    heading = ParagraphStyle("CaseflowHeading", parent=styles["Heading2"], fontName="Helvetica-Bold",
                             fontSize=12, spaceBefore=8)

    story: list = [Paragraph(_text(document.title), title)]
    story += [Paragraph(_text(line), body) for line in document.lead]
    story.append(Spacer(1, 4 * mm))
    for section in document.sections:
        block: list = [Paragraph(_text(section.heading), heading)]
        block += [Paragraph(_text(p), body) for p in section.paragraphs]
        if section.table:
            rows = [[Paragraph(_text(c), head_cell if i == 0 else cell) for c in row]
                    for i, row in enumerate(section.table)]
            widths = [w * mm for w in section.column_widths_mm] or None
            table = LongTable(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
            table.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]))
            block.append(table)
        # Keep a heading with the start of its content; long tables still split across pages.
        story.append(KeepTogether(block[:2]) if len(block) > 1 else block[0])
        story += block[2:]

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        text = document.page_label % {"page": doc.page}
        if document.footer:
            text = f"{document.footer} · {text}"
        canvas.drawString(18 * mm, 10 * mm, text)
        canvas.restoreState()

    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title=document.title, author="Caseflow", creator="Caseflow",
        leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
    ).build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
