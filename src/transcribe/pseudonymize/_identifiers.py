"""Direct identifiers found by their form: Norwegian national identity numbers
(fødselsnummer and D-nummer, validated by both mod-11 check digits), phone numbers
(Norwegian and international, also said as digit words), e-mail addresses (also said:
"kari dot nordmann at uib dot no"), street addresses and Norwegian postcodes with their
place ("5021 Bergen"). English identifiers (NHS and social security numbers, URLs) come
from Presidio's own recognizers (detection.py).

Speech comes out of Whisper either as digits ("912 34 567") or as words ("nine one two,
three four five..."): both are searched. Each finding is a character span of the text it
was found in, with the detector that found it and how sure it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

# Digit words, English and Norwegian (bokmål and nynorsk), as Whisper writes them.
DIGIT_WORDS = {
    "zero": "0", "oh": "0", "null": "0", "one": "1", "en": "1", "ett": "1", "ein": "1", "eitt": "1",
    "two": "2", "to": "2", "three": "3", "tre": "3", "four": "4", "fire": "4", "five": "5", "fem": "5",
    "six": "6", "seks": "6", "seven": "7", "sju": "7", "syv": "7", "eight": "8", "åtte": "8",
    "nine": "9", "ni": "9",
}
# At least this many digit words in a row are a number being read out (a phone number has
# 8 digits); fewer are ordinary words ("to", "en", "fire", "one").
SPOKEN_DIGITS_MIN = 8
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ .-]?\d){10}(?!\d)")
_WORD = re.compile(r"\w+", re.UNICODE)
_JOINER = re.compile(r"[\s,.-]*(?:(?:and|og)[\s,.-]*)?")  # between digits read out
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_SPOKEN_EMAIL = re.compile(
    r"\b([\w-]+(?:\s+(?:dot|punktum)\s+[\w-]+)*)\s+(?:at|krøllalfa)\s+([\w-]+(?:\s+(?:dot|punktum)\s+[\w-]+)+)\b",
    re.IGNORECASE | re.UNICODE,
)

# A street name in any casing ("storgata 5": Whisper does not always capitalise it); the
# ending needs a name before it, so "gata 5" or "alle 3" alone are not addresses.
_NO_STREET = re.compile(
    r"\b[a-zæøå][\wæøå.-]*(?:gata|gaten|gate|veien|vegen|vei|veg|allé|alle|plass|stien|bakken|brygge|torg)"
    r"\s+\d{1,4}(?:[a-z]|(?-i:\s[A-HJ-Z]))?\b",  # "12B", "12b", "12 B"; not "5 i Tromsø", "5 I TROMSØ"
    re.UNICODE | re.IGNORECASE,
)
_EN_STREET = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Drive|Close|Way|Crescent|Place|Court|Terrace|Boulevard)\b"
)
_NO_POSTCODE = re.compile(r"\b\d{4}\s+[A-ZÆØÅ][a-zæøå]+(?:[ -][A-ZÆØÅ][a-zæøå]+)?\b", re.UNICODE)


@dataclass(frozen=True)
class Finding:
    start: int  # character span in the text searched
    end: int
    text: str
    kind: str  # PERSON, ORG, PLACE, ADDRESS, PHONE, ID-NUMBER, EMAIL, URL
    detector: str
    confidence: float
    value: str = ""  # who or what it stands for (a study key entry's name), if not the text itself

    @property
    def stands_for(self) -> str:
        return self.value or self.text


def national_id_valid(digits: str) -> bool:
    """A Norwegian fødselsnummer, D-nummer (day + 40) or H-nummer (month + 40) with a
    valid date and both mod-11 check digits right."""
    if not re.fullmatch(r"\d{11}", digits):
        return False
    d = [int(c) for c in digits]
    day, month = int(digits[:2]), int(digits[2:4])
    day -= 40 if day > 40 else 0
    month -= 40 if month > 40 else 0
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return False
    for weights, check in (((3, 7, 6, 1, 8, 9, 4, 5, 2), 9), ((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), 10)):
        remainder = 11 - sum(w * x for w, x in zip(weights, d)) % 11
        expected = 0 if remainder == 11 else remainder
        if expected == 10 or expected != d[check]:
            return False
    return True


def spoken_digits(text: str) -> list[tuple[int, int, str]]:
    """Runs of digit words (mixed with digits) that say at least SPOKEN_DIGITS_MIN digits,
    with the digits they say: "nine one two, three four five, six seven" -> "91234567"."""
    runs: list[tuple[int, int, str]] = []
    run: list[tuple[int, int, str]] = []

    def close() -> None:
        spoken = any(not text[a:b].isdigit() for a, b, _ in run)  # written digits are the other detectors' part
        if spoken and sum(len(digits) for *_, digits in run) >= SPOKEN_DIGITS_MIN:
            runs.append((run[0][0], run[-1][1], "".join(digits for *_, digits in run)))
        run.clear()

    for match in _WORD.finditer(text):
        word = match.group().lower()
        digits = DIGIT_WORDS.get(word) or (word if word.isdigit() else None)
        if run and (digits is None or not _JOINER.fullmatch(text[run[-1][1] : match.start()])):
            close()
        if digits is not None:
            run.append((match.start(), match.end(), digits))
    close()
    return runs


def find_national_ids(text: str) -> list[Finding]:
    """Valid national identity numbers, written ("010190 12345") or read out as digits.
    An 11-digit number that fails the checks is not one (an account number, a mistake)."""
    found = [
        Finding(m.start(), m.end(), m.group(), "ID-NUMBER", "national-id", 1.0)
        for m in _DIGIT_RUN.finditer(text)
        if national_id_valid(re.sub(r"\D", "", m.group()))
    ]
    found += [Finding(a, b, text[a:b], "ID-NUMBER", "national-id-spoken", 0.95) for a, b, digits in spoken_digits(text) if national_id_valid(digits)]
    return found


def find_phone_numbers(text: str, region: str = "NO") -> list[Finding]:
    """Phone numbers: written in any common form (libphonenumber, `region` for numbers
    without a country code), or read out digit by digit."""
    found = [
        Finding(m.start, m.end, m.raw_string, "PHONE", "phone", 0.9)
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
        if not national_id_valid(re.sub(r"\D", "", m.raw_string))
    ]
    for a, b, digits in spoken_digits(text):
        if 8 <= len(digits) <= 15 and not national_id_valid(digits) and not any(f.start < b and a < f.end for f in found):
            found.append(Finding(a, b, text[a:b], "PHONE", "phone-spoken", 0.8))
    return found


def find_emails(text: str) -> list[Finding]:
    found = [Finding(m.start(), m.end(), m.group(), "EMAIL", "email", 1.0) for m in _EMAIL.finditer(text)]
    found += [Finding(m.start(), m.end(), m.group(), "EMAIL", "email-spoken", 0.85) for m in _SPOKEN_EMAIL.finditer(text)]
    return found


def find_addresses(text: str) -> list[Finding]:
    """Street addresses ("Storgata 12B", "221 Baker Street") and Norwegian postcodes with
    their place ("5021 Bergen": a year before a place name looks the same, hence the lower
    confidence)."""
    found = [Finding(m.start(), m.end(), m.group(), "ADDRESS", "street-address", 0.85) for pattern in (_NO_STREET, _EN_STREET) for m in pattern.finditer(text)]
    found += [Finding(m.start(), m.end(), m.group(), "ADDRESS", "postcode", 0.6) for m in _NO_POSTCODE.finditer(text)]
    return found


def find_identifiers(text: str, region: str = "NO") -> list[Finding]:
    """Every identifier found by its form, overlapping findings resolved to the surest."""
    return resolve(find_national_ids(text) + find_phone_numbers(text, region) + find_emails(text) + find_addresses(text))


def resolve(findings: list[Finding]) -> list[Finding]:
    """Non-overlapping findings: of overlapping ones the surest, then the longest, wins."""
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (-f.confidence, f.start - f.end)):
        if not any(k.start < finding.end and finding.start < k.end for k in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)
