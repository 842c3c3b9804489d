"""Type detection by content, and the display name (no database)."""

import pytest

from caseflow.documents.content import ContentRefused, Refusal, content_detect, display_name
from tests.documents.samples import ELF, EXE, JPEG, PDF, TEXT, office_bytes, png_bytes


@pytest.mark.parametrize(("data", "content_type"), [
    (PDF, "application/pdf"),
    (png_bytes(), "image/png"),
    (JPEG, "image/jpeg"),
    (office_bytes("word"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (office_bytes("xl"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (TEXT, "text/plain; charset=utf-8"),
    ("\ufeffMed BOM\n".encode(), "text/plain; charset=utf-8"),
])
def test_content_detect_allowed_types(data, content_type):
    assert content_detect(data).content_type == content_type


@pytest.mark.parametrize(("data", "reason"), [
    (b"", Refusal.EMPTY),
    (EXE, Refusal.EXECUTABLE),
    (ELF, Refusal.EXECUTABLE),
    (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 64, Refusal.EXECUTABLE),  # Mach-O 64
    (b"#!/bin/sh\nrm -rf ~\n", Refusal.EXECUTABLE),
    ("\ufeff#!/usr/bin/env python\n".encode(), Refusal.EXECUTABLE),
    (office_bytes("word", extra=["word/vbaProject.bin"]), Refusal.MACROS),
    (office_bytes("word", extra=["word/embeddings/setup.exe"]), Refusal.EXECUTABLE),
    (b"GIF89a\x01\x00\x01\x00" + b"\x00" * 32, Refusal.UNSUPPORTED),
    (b"PK\x03\x04" + b"\x00" * 64, Refusal.UNSUPPORTED),  # a plain zip
    (b"tekst med \x00 NUL", Refusal.NOT_TEXT),
    ("latin-1: æøå".encode("latin-1"), Refusal.NOT_TEXT),
])
def test_content_detect_refuses(data, reason):
    with pytest.raises(ContentRefused) as refused:
        content_detect(data)
    assert refused.value.reason == reason


@pytest.mark.parametrize(("original", "extension", "expected"), [
    ("rapport.pdf", "pdf", "rapport.pdf"),
    ("../../etc/passwd", "txt", "passwd.txt"),
    ("C:\\Users\\sb\\Notat fra politiet.docx", "docx", "Notat fra politiet.docx"),
    ('evil"\r\nX-Header: 1.pdf', "pdf", "evilX-Header 1.pdf"),
    ("notes.txt", "pdf", "notes.pdf"),
    ("", "png", "document.png"),
    ("...", "txt", "document.txt"),
    ("Æblegrød ønsker.odt", "odt", "Æblegrød ønsker.odt"),
])
def test_display_name_sanitised(original, extension, expected):
    assert display_name(original, extension) == expected


def test_display_name_cut_to_length():
    assert len(display_name("a" * 500 + ".pdf", "pdf", max_length=120)) == 120
