"""Open a PDF the way a reader would: render every page to PNG and extract its text (pypdfium2)."""

from __future__ import annotations

import io

import pypdfium2 as pdfium


def pdf_pages(data: bytes) -> list[tuple[bytes, str]]:
    """(PNG bytes, text) per page; raises if the PDF cannot be opened or a page cannot be drawn."""
    document = pdfium.PdfDocument(data)
    pages = []
    try:
        for index in range(len(document)):
            page = document[index]
            image = page.render(scale=1).to_pil()
            png = io.BytesIO()
            image.save(png, format="PNG")
            text = page.get_textpage().get_text_range()
            pages.append((png.getvalue(), text))
    finally:
        document.close()
    return pages


def pdf_text(data: bytes) -> str:
    """All pages' text, joined (whitespace normalised to single spaces)."""
    return " ".join(" ".join(text.split()) for _png, text in pdf_pages(data))
