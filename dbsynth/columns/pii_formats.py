"""What a value of each personal-data kind looks like: the patterns, validators and check digits
that :mod:`dbsynth.columns.pii` confirms a column's kind with and that the Faker model uses to
make valid card numbers and IBANs. Pure functions of one string, no pandas."""

from __future__ import annotations

import ipaddress
import re

# Unicode local parts and domains too: ``stanisław.wójcik@wp.pl`` is a real-world address shape.
EMAIL = re.compile(r"^[\w.%+'\-]+@[\w\-]+(\.[\w\-]+)*\.[^\W\d_]{2,}$")
URL = re.compile(r"^(https?|ftp)://[^\s/$.?#][^\s]*$|^www\.[^\s]+\.[a-z]{2,}\S*$", re.IGNORECASE)
PHONE = re.compile(r"^\+?[\d\s()./\-]{6,24}(\s*(x|ext\.?)\s*\d{1,6})?$", re.IGNORECASE)
NAME = re.compile(r"^[^\W\d_]+\.?(?:[ '’\-]+[^\W\d_]+\.?){0,4}$")
USERNAME = re.compile(r"^[\w.\-+]{2,64}$")
UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.IGNORECASE)
IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
HASH_FORMATS: dict[str, re.Pattern[str]] = {
    "bcrypt": re.compile(r"^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$"),
    "argon2": re.compile(r"^\$argon2(id|i|d)\$"),
    "crypt": re.compile(r"^\$(1|5|6)\$[^$]{1,16}\$[./A-Za-z0-9]{22,86}$"),
    "pbkdf2": re.compile(r"^pbkdf2_sha\d+\$\d+\$"),
    "hex": re.compile(r"^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$", re.IGNORECASE),
}
COMPANY_SUFFIX = re.compile(
    r"\b(inc|llc|ltd|limited|plc|gmbh|ag|kg|sa|s\.a|sarl|srl|s\.r\.o|spa|bv|nv|oy|ab|as|corp|"
    r"corporation|co|company|group|holdings?|partners|gbr|ug|sas|pty)\.?$",
    re.IGNORECASE,
)
STREET_WORD = re.compile(
    r"(?i)(\b(street|st|str|road|rd|avenue|ave|av|avda|avenida|boulevard|blvd|lane|ln|drive|dr|way|"
    r"loop|parkway|pkwy|place|pl|square|sq|court|ct|terrace|highway|hwy|alley|row|crescent|close|"
    r"rue|via|viale|calle|carrera|rua|praça|plaza|weg|gasse|allee|platz|ring|damm|ulica|ul|vej|"
    r"gatan|gata|straat|laan|plein)\b\.?|(straße|strasse|str\.|vägen|gatan|weg|gade|vej)\b)"
)
DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}([ T].*)?$|^\d{1,2}[./]\d{1,2}[./]\d{2,4}$")


def digits_of(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def luhn_valid(number: str) -> bool:
    """True for a digit string whose last digit is its Luhn check digit."""
    if not number.isdigit() or len(number) < 2:
        return False
    return luhn_check_digit(number[:-1]) == number[-1]


def luhn_check_digit(payload: str) -> str:
    """The Luhn check digit to append to ``payload`` (a digit string)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # every second digit from the right, counting the check digit as 1st
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def _iban_number(country: str, bban: str) -> int:
    text = bban + country + "00"
    return int("".join(str(int(ch, 36)) for ch in text))


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits (mod 97) of an IBAN with this country code and BBAN."""
    return f"{98 - _iban_number(country.upper(), bban.upper()) % 97:02d}"


def iban_valid(text: str) -> bool:
    compact = text.replace(" ", "").upper()
    if not IBAN.match(compact):
        return False
    return iban_check_digits(compact[:2], compact[4:]) == compact[2:4]


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def is_phone(text: str) -> bool:
    if not PHONE.match(text.strip()) or DATE_TEXT.match(text.strip()):
        return False
    main = re.split(r"(?i)x|ext", text)[0]
    return 6 <= len(digits_of(main)) <= 15


def is_international_phone(text: str) -> bool:
    """Phone-like and formatted like one (``+`` prefix or an area code in parentheses): without
    a name hint, bare digit strings (order numbers, ISBNs) must not count as phones."""
    t = text.strip()
    return is_phone(t) and (t.startswith("+") or bool(re.search(r"\(\d+\)", t)))


def is_card(text: str) -> bool:
    compact = re.sub(r"[ \-]", "", text)
    return 13 <= len(compact) <= 19 and luhn_valid(compact)


def is_name(text: str) -> bool:
    return len(text) <= 60 and bool(NAME.match(text.strip()))


def is_street(text: str) -> bool:
    return any(ch.isalpha() for ch in text) and not EMAIL.match(text) and len(text) >= 3


def is_street_address(text: str) -> bool:
    """A house number and a street word: "1692 Ede Loop", "Obere Str. 57", "Avda. de la
    Constitución 2222" (what a street column holds, recognised without its name)."""
    t = text.strip()
    return len(t) <= 100 and bool(re.search(r"\d", t)) and bool(STREET_WORD.search(t))


def has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text) and not text.strip().replace(".", "").isdigit()


def is_postcode(text: str) -> bool:
    t = text.strip()
    return 2 <= len(t) <= 12 and any(ch.isdigit() for ch in t) and bool(re.match(r"^[A-Za-z0-9 \-]+$", t))


def is_username(text: str) -> bool:
    return bool(USERNAME.match(text)) and any(ch.isalpha() for ch in text) and not UUID.match(text)


def hash_format(text: str) -> str | None:
    """``bcrypt``, ``argon2``, ``crypt``, ``pbkdf2`` or ``hex`` for a recognised hash, else None."""
    for name, rx in HASH_FORMATS.items():
        if rx.match(text):
            return name
    return None


def is_date_text(text: str) -> bool:
    return bool(DATE_TEXT.match(text.strip()))


def is_free_text(text: str) -> bool:
    return len(text.split()) >= 2 or len(text) >= 15
