"""Identifiers found by their form, the pattern layer of pseudonymization: Norwegian
national identity numbers with both check digits, phone numbers written or read out,
e-mail addresses written or said."""

from __future__ import annotations

import random

import pytest

from transcribe.pseudonymize._identifiers import find_identifiers, national_id_valid


def with_check_digits(first_nine: str) -> str:
    """The fødselsnummer (or D-nummer) that starts with `first_nine`, its check digits computed."""
    d = [int(c) for c in first_nine]
    k1 = (11 - sum(w * x for w, x in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), d)) % 11) % 11
    k2 = (11 - sum(w * x for w, x in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), d + [k1])) % 11) % 11
    return first_nine + str(k1) + str(k2) if k1 < 10 and k2 < 10 else ""


def id_numbers(count: int, d_number: bool = False) -> list[str]:
    rng = random.Random(7)
    found = []
    while len(found) < count:
        day = rng.randint(1, 28) + (40 if d_number else 0)
        number = with_check_digits(f"{day:02d}{rng.randint(1, 12):02d}{rng.randint(0, 99):02d}{rng.randint(0, 999):03d}")
        if number:
            found.append(number)
    return found


VALID = id_numbers(40) + id_numbers(20, d_number=True)


def test_valid_national_ids_and_d_numbers_are_found_in_every_written_form():
    for number in VALID:
        for written in (number, f"{number[:6]} {number[6:]}", f"{number[:6]}-{number[6:]}"):
            [finding] = find_identifiers(f"Fødselsnummeret er {written}, sa hun.")
            assert (finding.kind, finding.text) == ("ID-NUMBER", written)


def test_numbers_with_a_wrong_check_digit_or_date_are_not_ids():
    for number in VALID:
        wrong = number[:10] + str((int(number[10]) + 1) % 10)
        assert not national_id_valid(wrong)
        assert all(f.kind != "ID-NUMBER" for f in find_identifiers(f"kontonummer {wrong} i banken"))
    assert not national_id_valid(with_check_digits("320190123") or "32019012300")  # no 32nd day


def test_an_id_number_read_out_digit_by_digit_is_found():
    words = {"0": "null", "1": "en", "2": "to", "3": "tre", "4": "fire", "5": "fem", "6": "seks", "7": "sju", "8": "åtte", "9": "ni"}
    number = VALID[0]
    said = " ".join(words[c] for c in number)
    [finding] = find_identifiers(f"det er {said} tror jeg")
    assert finding.kind == "ID-NUMBER" and finding.text == said


@pytest.mark.parametrize("text, phone", [
    ("Ring meg på 912 34 567 i morgen.", "912 34 567"),
    ("Nummeret er 91234567.", "91234567"),
    ("Sentralbordet har 22 33 44 55.", "22 33 44 55"),
    ("Call me on +47 912 34 567, please.", "+47 912 34 567"),
    ("My UK number is +44 7700 900123.", "+44 7700 900123"),
    ("It's nine one two, three four five, six seven.", "nine one two, three four five, six seven"),
    ("oh seven seven zero zero nine zero zero one two three", "oh seven seven zero zero nine zero zero one two three"),
    ("ni en to, tre fire, fem seks sju", "ni en to, tre fire, fem seks sju"),
])
def test_phone_numbers_written_or_read_out_are_found(text, phone):
    assert [(f.kind, f.text) for f in find_identifiers(text)] == [("PHONE", phone)]


@pytest.mark.parametrize("text, email", [
    ("Send it to kari.nordmann@uib.no today.", "kari.nordmann@uib.no"),
    ("It's kari dot nordmann at uib dot no.", "kari dot nordmann at uib dot no"),
    ("Adressen er ola krøllalfa helse-bergen punktum no.", "ola krøllalfa helse-bergen punktum no"),
])
def test_e_mail_addresses_written_or_said_are_found(text, email):
    assert [(f.kind, f.text) for f in find_identifiers(text)] == [("EMAIL", email)]


def test_ordinary_talk_about_numbers_is_left_alone():
    for text in (
        "Jeg har to barn og en hund, fire katter og ni høner.",
        "I saw the doctor two or three times, maybe four, in 2019.",
        "Vi var der fra klokka ni til halv fire, i 12 uker.",
        "She was at the hospital at ten to eight.",
    ):
        assert find_identifiers(text) == []
