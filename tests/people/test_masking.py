"""Masking functions: properties that hold for any input (hypothesis)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.people.masking import mask_id_number, mask_name, mask_phone, scrub_text

phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
id_numbers = st.from_regex(r"[1-9][0-9]{16}[0-9X]", fullmatch=True)
names = st.text(
    alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=6
)


@given(phones)
def test_masked_mobile_never_contains_the_middle_digits(phone):
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]
    assert masked[3:7] == "****"
    assert len(masked) == len(phone)


@given(st.text(alphabet="0123456789-+ ", max_size=20))
def test_masked_phone_keeps_at_most_seven_characters(phone):
    masked = mask_phone(phone)
    assert sum(ch != "*" for ch in masked) <= 7
    if len(phone.strip()) < 11:
        # Short numbers (landlines, extensions) keep only their last two.
        assert sum(ch != "*" for ch in masked) <= 2


@given(phones)
def test_mask_phone_is_idempotent_on_its_output_shape(phone):
    assert mask_phone(mask_phone(phone)) == mask_phone(phone)


@given(id_numbers)
def test_masked_id_number_hides_birth_date_and_sequence(id_number):
    masked = mask_id_number(id_number)
    assert len(masked) == len(id_number)
    assert masked[:4] == id_number[:4] and masked[-4:] == id_number[-4:]
    assert set(masked[4:-4]) == {"*"}
    assert id_number[6:14] not in masked  # the birth date


@given(st.text(max_size=8))
def test_short_id_numbers_are_fully_masked(value):
    masked = mask_id_number(value)
    assert set(masked) <= {"*"}


@given(names)
def test_masked_name_keeps_only_the_surname_character(name):
    masked = mask_name(name)
    assert masked[0] == name[0]
    assert set(masked[1:]) == {"*"}
    assert len(masked) == max(2, len(name))


@given(st.text(max_size=30))
def test_mask_name_reveals_at_most_one_character(name):
    masked = mask_name(name)
    assert sum(ch != "*" for ch in masked) <= 1


def test_examples_from_the_design():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id_number("110101199001011234") == "1101**********1234"
    assert mask_phone("") == mask_name(None) == mask_id_number("  ") == ""


def test_a_masked_address_keeps_the_road_and_compound_but_no_number():
    from gridgov.people.masking import mask_address

    assert (
        mask_address("幸福路12号魏家坡小区3号楼2单元501室") == "幸福路**号魏家坡小区*号楼*单元***室"
    )
    assert mask_address("朝阳里１２号") == "朝阳里**号"  # full-width digits too
    assert mask_address("") == ""


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        ("住2单元501室", "住***"),  # 室: the unit goes with it, as before
        ("住1栋2单元501", "住1栋2单元***"),
        ("2单元501号漏水", "2单元***漏水"),
        ("1栋501", "1栋***"),
        ("5栋1单元1202家", "5栋1单元***家"),
        ("3号楼1101", "3号楼***"),
        # Not rooms: a building or unit number alone, a year, a bus route.
        ("3号楼2单元门口", "3号楼2单元门口"),
        ("2019年装的路灯", "2019年装的路灯"),
        ("坐501路公交", "坐501路公交"),
    ],
)
def test_scrub_text_blanks_room_numbers_written_with_or_without_室(text, scrubbed):
    assert scrub_text(text) == scrubbed
