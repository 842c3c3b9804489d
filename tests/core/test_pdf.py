from caseflow.core.pdf import PdfDocument, PdfSection, render_pdf
from tests.pdf_utils import pdf_pages, pdf_text


def test_pdf_renders_danish_text_escapes_markup_and_splits_long_tables():
    rows = [["Nr.", "Udfald"]] + [[str(i), f"Ubegrundet bekymring {i} — æøå"] for i in range(120)]
    data = render_pdf(PdfDocument(
        title="Referat af møde", lead=["KE-2026-0001", "<b>ikke fed</b> & <script>"],
        sections=[PdfSection(heading="Beslutninger", paragraphs=["Første linje\nanden linje"], table=rows)],
        footer="Fortroligt", page_label="Side %(page)d",
    ))
    assert data.startswith(b"%PDF")
    pages = pdf_pages(data)
    assert len(pages) >= 2  # the long table went on to a second page
    assert all(png.startswith(b"\x89PNG") for png, _ in pages)
    text = pdf_text(data)
    assert "Referat af møde" in text
    assert "<b>ikke fed</b> & <script>" in text  # shown as text, not interpreted
    assert "Ubegrundet bekymring 119 — æøå" in text
    assert "Fortroligt · Side 2" in text
