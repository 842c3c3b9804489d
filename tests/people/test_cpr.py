"""CPR numbers: validation (date and century rule, no modulus 11), encryption at rest,
the blind index, the masked form, and that the database never holds the clear number.
All numbers are fictional."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from stdnum.dk import cpr as stdnum_cpr

from caseflow.core.exceptions import ApplicationError
from caseflow.people.cpr import (
    cpr_birth_date,
    cpr_clean,
    cpr_clean_or_error,
    cpr_decrypt,
    cpr_encrypt,
    cpr_index,
    cpr_mask,
)
from caseflow.people.models import Person
from caseflow.people.services import person_identify
from tests.factories import PersonFactory

CPR = "0101901234"  # 1 January 1990; fails modulus 11 (numbers since 2007 may)
CPR_DASHED = "010190-1234"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0101901234", "0101901234"),
        ("010190-1234", "0101901234"),
        (" 010190 1234 ", "0101901234"),
        ("010190\u20131234", "0101901234"),  # an en dash pasted from a document
        ("290200-4000", "2902004000"),  # 29 February 2000 (a leap year)
    ],
)
def test_cpr_clean_accepts_valid_numbers(value, expected):
    assert cpr_clean(value) == expected


def test_cpr_clean_has_no_modulus_11_demand():
    assert stdnum_cpr.checksum(CPR) != 0  # stdnum's old checksum rule refuses it ...
    assert cpr_clean(CPR) == CPR  # ... we do not: it is a valid number since 2007


@pytest.mark.parametrize(
    ("value", "born"),
    [
        ("0101100000", datetime.date(1910, 1, 1)),  # 7th digit 0-3: 1900s
        ("0101363999", datetime.date(1936, 1, 1)),
        ("0101104000", datetime.date(2010, 1, 1)),  # 4 or 9 with year 00-36: 2000s
        ("0101209000", datetime.date(2020, 1, 1)),
        ("0101504000", datetime.date(1950, 1, 1)),  # 4 or 9 with year 37-99: 1900s
        ("0101379000", datetime.date(1937, 1, 1)),
        ("0101105000", datetime.date(2010, 1, 1)),  # 5-8 with year 00-57: 2000s
        ("0101908000", datetime.date(1890, 1, 1)),  # 5-8 with year 58-99: 1800s
    ],
)
def test_cpr_birth_date_follows_the_century_rule(value, born):
    assert cpr_birth_date(value) == born


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "invalid"),
        ("0101901", "invalid"),  # too short
        ("01019012345", "invalid"),  # too long
        ("01019O-1234", "invalid"),  # a letter O for a zero
        ("abcdefghij", "invalid"),
        ("0101-901234", "invalid"),  # the dash in the wrong place
        ("٠١٠١٩٠١٢٣٤", "invalid"),  # Arabic-Indic digits are not CPR digits
        ("320190-1234", "invalid_date"),  # day 32
        ("011390-1234", "invalid_date"),  # month 13
        ("290290-1234", "invalid_date"),  # 29 February 1990
        ("000190-1234", "invalid_date"),
        ("010190-5000", "too_old"),  # 1 January 1890
    ],
)
def test_cpr_clean_refuses_bad_numbers_with_a_code(value, code):
    with pytest.raises(ValidationError) as exc:
        cpr_clean(value)
    assert exc.value.code == code
    assert str(exc.value.message)


def test_cpr_clean_refuses_a_future_birth_date():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert tomorrow.year <= 2036  # the 7th digit 4 puts years 00-36 in the 2000s
    with pytest.raises(ValidationError) as exc:
        cpr_clean(f"{tomorrow:%d%m%y}-4000")
    assert exc.value.code == "future"


def test_cpr_clean_or_error_is_an_application_error_on_the_cpr_field():
    with pytest.raises(ApplicationError) as exc:
        cpr_clean_or_error("320190-1234")
    assert exc.value.field == "cpr"
    assert exc.value.extra == {"code": "invalid_date"}


def test_cpr_encrypt_round_trip_and_new_ciphertext_each_time():
    first, second = cpr_encrypt(CPR_DASHED), cpr_encrypt(CPR)
    assert first.startswith("v1:")
    assert second.startswith("v1:")
    assert first != second
    assert cpr_decrypt(first) == cpr_decrypt(second) == CPR
    assert CPR not in first
    assert "1234" not in first.partition(":")[0]


def test_cpr_index_is_stable_keyed_and_not_the_number():
    index = cpr_index(CPR)
    assert index == cpr_index(CPR_DASHED) == cpr_index(" 010190 1234")
    assert len(index) == 64
    assert int(index, 16) >= 0
    assert index != cpr_index("0101901235")
    assert CPR not in index


def test_cpr_keys_come_from_the_setting(settings):
    token, index = cpr_encrypt(CPR), cpr_index(CPR)
    settings.CASEFLOW_CPR_KEY = "another-test-key-of-at-least-32-characters"
    assert cpr_index(CPR) != index
    with pytest.raises(ValueError, match="CPR ciphertext"):
        cpr_decrypt(token)


@pytest.mark.parametrize("token", ["", "0101901234", "v9:abc", "v1:not-a-token"])
def test_cpr_decrypt_refuses_unknown_or_broken_tokens(token):
    with pytest.raises(ValueError, match="CPR ciphertext"):
        cpr_decrypt(token)


def test_cpr_decrypt_refuses_a_tampered_token():
    token = cpr_encrypt(CPR)
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(ValueError, match="CPR ciphertext"):
        cpr_decrypt(tampered)


def test_cpr_mask_shows_the_date_part_only():
    assert cpr_mask(CPR) == "010190-****"
    assert cpr_mask(CPR_DASHED) == "010190-****"


@pytest.mark.django_db
def test_person_cpr_display_is_masked():
    person = person_identify(actor=None, cpr=CPR_DASHED, first_name="Fiktiv", last_name="Testesen")
    person.refresh_from_db()
    assert person.cpr_display == "010190-****"
    assert person.has_cpr
    assert PersonFactory().cpr_display == ""


@pytest.mark.django_db
def test_database_never_holds_the_clear_cpr():
    person_identify(actor=None, cpr=CPR_DASHED, first_name="Fiktiv", last_name="Testesen")
    person_identify(actor=None, cpr="2902004000", first_name="Fiktiv", last_name="Anden")
    assert Person.objects.count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person")
        columns = [col.name for col in cursor.description]
        rows = cursor.fetchall()
    assert {"cpr_encrypted", "cpr_index", "cpr_masked"} <= set(columns)
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            for clear in ("0101901234", "010190-1234", "2902004000", "290200-4000"):
                assert clear not in str(value), column
        assert row[columns.index("cpr_masked")] in ("010190-****", "290200-****")
        assert row[columns.index("cpr_encrypted")].startswith("v1:")
