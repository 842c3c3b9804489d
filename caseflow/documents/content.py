"""What an uploaded file really is, decided by its content.

Neither the file name nor the browser's content type is trusted. Allowed: PDF, PNG,
JPEG, the office formats DOCX, XLSX and ODT, and plain UTF-8 text. Everything else
is refused; executables are refused by their own magic numbers before anything else
looks at the file, whatever they are called.

Decision on scripts: a text file that starts with a shebang (``#!``) is refused as an
executable. Case material has no reason to be a script, and a shebang line turns a
harmless-looking ``.txt`` into something a shell runs when it is marked executable.
Office files carrying macros (``vbaProject.bin``) are refused as well.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import filetype


class Refusal:
    """Reason codes of a refused upload (kept in the ``document.refused`` audit event)."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    EXECUTABLE = "executable"
    MACROS = "office_macros"
    UNSUPPORTED = "unsupported_type"
    NOT_TEXT = "not_text"


class ContentRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


#: Detected MIME type -> the extension a download gets.
ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
}
OFFICE_ZIP_TYPES = frozenset(mime for mime, ext in ALLOWED_TYPES.items() if ext in ("docx", "xlsx", "odt"))
TEXT_TYPE = "text/plain; charset=utf-8"
TEXT_EXTENSION = "txt"

#: Headers of executables: Windows PE (MZ), ELF, Mach-O (32/64 bit, both byte orders,
#: universal binaries), and scripts with a shebang.
EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe", b"\xbe\xba\xfe\xca",
    b"#!",
)
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Detected:
    content_type: str
    extension: str


def content_detect(data: bytes) -> Detected:
    """The type of ``data`` (the whole file), or ContentRefused with a reason code."""
    if not data:
        raise ContentRefused(Refusal.EMPTY)
    head = data[:8192]
    if head.removeprefix(UTF8_BOM).startswith(EXECUTABLE_MAGIC):
        raise ContentRefused(Refusal.EXECUTABLE)
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime not in ALLOWED_TYPES:
            if kind.mime in ("application/x-msdownload", "application/x-executable", "application/x-mach-binary"):
                raise ContentRefused(Refusal.EXECUTABLE)
            raise ContentRefused(Refusal.UNSUPPORTED)
        if kind.mime in OFFICE_ZIP_TYPES:
            _office_zip_check(data)
        return Detected(kind.mime, ALLOWED_TYPES[kind.mime])
    if b"\x00" in data:
        raise ContentRefused(Refusal.NOT_TEXT)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ContentRefused(Refusal.NOT_TEXT) from None
    return Detected(TEXT_TYPE, TEXT_EXTENSION)


def _office_zip_check(data: bytes) -> None:
    """An office file must be a readable zip without macros or embedded programs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [info.filename.lower() for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ContentRefused(Refusal.UNSUPPORTED) from None
    if any(name.endswith("vbaproject.bin") for name in names):
        raise ContentRefused(Refusal.MACROS)
    if any(name.endswith((".exe", ".dll", ".scr", ".bat", ".cmd", ".ps1", ".vbs", ".js")) for name in names):
        raise ContentRefused(Refusal.EXECUTABLE)


def display_name(original: str, extension: str, *, max_length: int = 120) -> str:
    """The uploader's file name made safe to show and to offer as a download name:
    no directories, no control or quoting characters, and the extension of the
    detected type (a PDF called ``notes.txt`` downloads as ``notes.pdf``). It is never
    used to store the file."""
    name = unicodedata.normalize("NFC", str(original or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in name
        if unicodedata.category(ch)[0] != "C" and ch not in '"<>:|?*;%'
    ).strip(" .")
    stem = PurePath(name).stem.strip(" .") if name else ""
    stem = stem or "document"
    stem = stem[: max_length - len(extension) - 1].rstrip(" .") or "document"
    return f"{stem}.{extension}"
