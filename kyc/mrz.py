"""ICAO Doc 9303 machine-readable zone (MRZ) parser and holder-name comparison.

Pure standard library on purpose: reading a passport needs no Django, so the automatic
checks (`kyc.checks`) call it as a plain function and its tests run it over tables. It
stays one module past the length at which others are split: the three layouts share one
set of field readers and check-digit rules, and a reader of one layout needs them all.

Supported layouts (anything else raises `MRZFormatError`):

* TD1 - 3 lines of 30 (identity cards, Doc 9303 part 5)
* TD2 - 2 lines of 36 (Doc 9303 part 6)
* TD3 - 2 lines of 44 (passports, Doc 9303 part 4)

Machine-readable visas (document code starting with "V", Doc 9303 part 7) share the TD2/TD3
shapes but not their layout (no composite check digit), so they are rejected rather than
misread as a document with a broken composite check.

Input handling: surrounding whitespace, `\\r\\n`, blank lines and lower-case letters are
tolerated; lines must be separated by line breaks (one 88-character string is rejected) and
every remaining character must be one of A-Z 0-9 <.

A failed check digit, an impossible date or an unknown sex code is data, not a crash: `parse`
returns the `MRZ` with `errors` describing each problem ("document_number: check digit 7
expected 3"). `errors` is empty only when every check digit, the composite check digit, both
dates, the sex code, the country codes and the document number are sound.

Date windows (the MRZ only stores YYMMDD):

* birth_date: the latest century that does not put the birth after `today`.
* expiry_date: 20YY, unless that is more than 50 years after `today`'s year, then 19YY.
  Documents are valid for at most ~10 years, so a 20YY more than 50 years ahead can only be an
  old document from the previous century.

`optional_data`: leading and trailing fillers stripped, inner fillers kept verbatim (issuers
use them as sub-field separators). For TD1 the two optional-data fields (line 1 positions
16-30, line 2 positions 19-29) are each stripped and joined with a single space, a character
that never occurs in an MRZ, so the boundary stays unambiguous: "ABC" + "XYZ" -> "ABC XYZ".
When a TD1/TD2 document number is longer than 9 characters, its overflow and check digit are
removed from the optional data because they belong to `document_number`.
"""

from __future__ import annotations

import datetime
import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "MRZ",
    "MRZFormatError",
    "check_digit",
    "name_matches",
    "names_match",
    "normalize_name",
    "parse",
]

MRZFormat = Literal["TD1", "TD2", "TD3"]
Sex = Literal["M", "F", "X"]

FILLER = "<"
_WEIGHTS = (7, 3, 1)
_LINE_RE = re.compile(r"[A-Za-z0-9<]*")
_SHAPES: dict[tuple[int, int], MRZFormat] = {(3, 30): "TD1", (2, 36): "TD2", (2, 44): "TD3"}
_STATE_RE = re.compile(r"[A-Z]{1,3}")
# Upper bound so a hostile "name" cannot make the token matcher quadratic in a request.
_MAX_NAME_TOKENS = 32


class MRZFormatError(ValueError):
    """The text is not a TD1/TD2/TD3 MRZ; carries a message fit for an operator."""


@dataclass(frozen=True, slots=True)
class MRZ:
    format: MRZFormat
    document_code: str
    issuing_state: str
    document_number: str
    surname: str
    given_names: str
    nationality: str
    birth_date: datetime.date | None
    sex: Sex
    expiry_date: datetime.date | None
    optional_data: str
    errors: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.errors


def _char_value(c: str) -> int:
    if "0" <= c <= "9":
        return ord(c) - ord("0")
    if "A" <= c <= "Z":
        return ord(c) - ord("A") + 10
    if c == FILLER:
        return 0
    raise ValueError(f"character {c!r} is not allowed in an MRZ")


def check_digit(s: str) -> str:
    """ICAO 9303 part 3 check digit: weights 7,3,1 repeating; < = 0, A = 10 ... Z = 35.

    Raises `ValueError` for characters outside A-Z 0-9 <.
    """
    total = sum(_char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(s))
    return str(total % 10)


def _verify(field: str, data: str, found: str, errors: list[str]) -> None:
    expected = check_digit(data)
    # Doc 9303 lets an all-filler field carry "<" instead of "0" (e.g. an empty personal number);
    # anywhere else "<" would hide a missing digit, so it stays an error.
    if found == expected or (found == FILLER and expected == "0" and not data.strip(FILLER)):
        return
    errors.append(f"{field}: check digit {found} expected {expected}")


def _split_lines(text: str) -> tuple[MRZFormat, list[str]]:
    if not isinstance(text, str):
        raise MRZFormatError(f"MRZ must be text, got {type(text).__name__}")
    lines = [line.strip() for line in text.strip().splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise MRZFormatError("MRZ is empty")
    for number, line in enumerate(lines, start=1):
        # Validate before upper-casing: str.upper() maps "ß" to "SS" or "ﬁ" to "FI", which
        # would smuggle non-MRZ text in and shift every position after it.
        if not _LINE_RE.fullmatch(line):
            column, bad = next((i, c) for i, c in enumerate(line, 1) if not _LINE_RE.fullmatch(c))
            raise MRZFormatError(
                f"line {number} column {column}: character {bad!r} is not allowed "
                "(only A-Z, 0-9 and < may appear in an MRZ)"
            )
    lines = [line.upper() for line in lines]
    lengths = {len(line) for line in lines}
    shape = (len(lines), lengths.pop()) if len(lengths) == 1 else None
    fmt = _SHAPES.get(shape) if shape else None
    if fmt is None:
        found = " + ".join(str(len(line)) for line in lines)
        raise MRZFormatError(
            f"not an MRZ: {len(lines)} line(s) of {found} characters; expected TD1 (3 x 30), "
            "TD2 (2 x 36) or TD3 (2 x 44)"
        )
    if lines[0].startswith("V"):
        raise MRZFormatError("machine-readable visas (document code V) are not supported")
    return fmt, lines


def _state(field: str, raw: str, errors: list[str]) -> str:
    value = raw.strip(FILLER)
    if not _STATE_RE.fullmatch(value):
        errors.append(f"{field}: invalid code {raw}")
    return value


def _birth_date(raw: str, today: datetime.date, errors: list[str]) -> datetime.date | None:
    parts = _date_parts(raw)
    if parts is not None:
        yy, month, day = parts
        century = today.year // 100 * 100
        # Newest century first: the first candidate not in the future is the only plausible one.
        for year in (century + yy, century - 100 + yy):
            try:
                candidate = datetime.date(year, month, day)
            except ValueError:
                continue
            if candidate <= today:
                return candidate
    errors.append(f"birth_date: invalid date {raw}")
    return None


def _expiry_date(raw: str, today: datetime.date, errors: list[str]) -> datetime.date | None:
    parts = _date_parts(raw)
    if parts is not None:
        yy, month, day = parts
        year = 2000 + yy
        if year > today.year + 50:
            year -= 100
        try:
            return datetime.date(year, month, day)
        except ValueError:
            pass
    errors.append(f"expiry_date: invalid date {raw}")
    return None


def _date_parts(raw: str) -> tuple[int, int, int] | None:
    if len(raw) != 6 or not raw.isdigit():
        return None
    return int(raw[0:2]), int(raw[2:4]), int(raw[4:6])


def _sex(raw: str, errors: list[str]) -> Sex:
    if raw == "M":
        return "M"
    if raw == "F":
        return "F"
    if raw not in (FILLER, "X"):
        errors.append(f"sex: invalid code {raw}")
    return "X"


def _names(raw: str) -> tuple[str, str]:
    primary, _, secondary = raw.partition(FILLER * 2)

    def clean(part: str) -> str:
        return " ".join(part.replace(FILLER, " ").split())

    return clean(primary), clean(secondary)


def _document_number(
    principal: str, check: str, optional: str, errors: list[str]
) -> tuple[str, str]:
    """Return (document number, optional data left after any overflow).

    TD1/TD2 rule (Doc 9303 parts 5 and 6): a number longer than 9 characters shows its first 9,
    a "<" where the check digit would be, then the rest of the number, its check digit and a
    filler at the start of the optional data field.
    """
    overflow = optional.split(FILLER, 1)[0]
    if check == FILLER and principal.strip(FILLER) and len(overflow) >= 2:
        number = principal + overflow[:-1]
        _verify("document_number", number, overflow[-1], errors)
        return number, optional[len(overflow) + 1 :]
    _verify("document_number", principal, check, errors)
    return principal.strip(FILLER), optional


def parse(text: str, *, today: datetime.date | None = None) -> MRZ:
    """Parse a TD1, TD2 or TD3 MRZ; check problems are reported in `MRZ.errors`, not raised.

    `today` anchors the two-digit-year windows; it defaults to the current UTC date.
    Raises `MRZFormatError` when the text does not have one of the three MRZ shapes.
    """
    fmt, lines = _split_lines(text)
    if today is None:
        today = datetime.datetime.now(datetime.UTC).date()
    errors: list[str] = []

    if fmt == "TD1":
        l1, l2, l3 = lines
        document_code = l1[0:2].strip(FILLER)
        issuing_state = _state("issuing_state", l1[2:5], errors)
        document_number, optional_1 = _document_number(l1[5:14], l1[14], l1[15:30], errors)
        birth_raw, birth_check = l2[0:6], l2[6]
        sex_raw = l2[7]
        expiry_raw, expiry_check = l2[8:14], l2[14]
        nationality_raw = l2[15:18]
        optional_data = " ".join(
            part for part in (optional_1.strip(FILLER), l2[18:29].strip(FILLER)) if part
        )
        composite_data, composite_check = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29]
        name_raw = l3
    else:
        l1, l2 = lines
        document_code = l1[0:2].strip(FILLER)
        issuing_state = _state("issuing_state", l1[2:5], errors)
        name_raw = l1[5:]
        birth_raw, birth_check = l2[13:19], l2[19]
        sex_raw = l2[20]
        expiry_raw, expiry_check = l2[21:27], l2[27]
        nationality_raw = l2[10:13]
        if fmt == "TD2":
            document_number, optional = _document_number(l2[0:9], l2[9], l2[28:35], errors)
            optional_data = optional.strip(FILLER)
            composite_data, composite_check = l2[0:10] + l2[13:20] + l2[21:35], l2[35]
        else:
            _verify("document_number", l2[0:9], l2[9], errors)
            document_number = l2[0:9].strip(FILLER)
            optional_data = l2[28:42].strip(FILLER)
            composite_data, composite_check = l2[0:10] + l2[13:20] + l2[21:43], l2[43]

    if not document_number:
        errors.append("document_number: missing")
    nationality = _state("nationality", nationality_raw, errors)
    _verify("birth_date", birth_raw, birth_check, errors)
    birth_date = _birth_date(birth_raw, today, errors)
    sex = _sex(sex_raw, errors)
    _verify("expiry_date", expiry_raw, expiry_check, errors)
    expiry_date = _expiry_date(expiry_raw, today, errors)
    if fmt == "TD3":
        _verify("optional_data", l2[28:42], l2[42], errors)
    _verify("composite", composite_data, composite_check, errors)
    surname, given_names = _names(name_raw)

    return MRZ(
        format=fmt,
        document_code=document_code,
        issuing_state=issuing_state,
        document_number=document_number,
        surname=surname,
        given_names=given_names,
        nationality=nationality,
        birth_date=birth_date,
        sex=sex,
        expiry_date=expiry_date,
        optional_data=optional_data,
        errors=tuple(errors),
    )


# --- Holder-name comparison ---------------------------------------------------------------
#
# What `names_match` tolerates:
#   * case, surrounding/inner whitespace, MRZ fillers "<" used as separators;
#   * accents: NFKD with combining marks dropped ("JOSÉ" = "JOSE");
#   * the ICAO 9303 part 3 transliterations of Ä Ö Ü Å Ø as AE OE UE AA OE, alongside the plain
#     stripped letter, so "Müller" matches both "MULLER" and "MUELLER";
#   * letters NFKD cannot decompose: ß -> SS, Æ -> AE, Œ -> OE, Ø -> O/OE, Þ -> TH, Ð/Đ -> D,
#     Ł -> L, Ħ -> H; ligatures such as Ĳ -> IJ come from NFKD itself;
#   * hyphens, dots and other punctuation count as separators ("JEAN-PIERRE" = "JEAN PIERRE");
#   * apostrophes either vanish (ICAO: "D'ARTAGNAN" -> "DARTAGNAN") or separate ("D ARTAGNAN");
#   * token order: surname/given names swapped, given names re-ordered.
#
# What it deliberately does not tolerate, so two relatives or strangers are not merged and the
# case goes to manual review instead:
#   * a missing or extra name token (a dropped middle name, "JOHN SMITH" vs "JOHN PAUL SMITH"):
#     every token on each side must pair with exactly one token on the other;
#   * initials or abbreviations ("A MARIA"), typos and OCR confusions;
#   * names written together on one side and apart on the other ("JEANPIERRE"), except through
#     the apostrophe rule above;
#   * names truncated to fit the MRZ name field;
#   * umlaut forms when neither side carries the umlaut ("MULLER" vs "MUELLER");
#   * non-Latin scripts: such letters are kept as-is, so "ИВАН" never equals "IVAN" (and can
#     never be silently dropped to make the remaining tokens match).

_APOSTROPHES = "'\u2019\u2018\u02bc`\u00b4"
_ICAO_EXPANSIONS = str.maketrans({"Ä": "AE", "Ö": "OE", "Ü": "UE", "Å": "AA", "Ø": "OE"})
_EXPANDABLE = frozenset("ÄÖÜÅØ")
_MAX_EXPANDABLE_LETTERS = 6
_UNDECOMPOSABLE = str.maketrans(
    {
        "Æ": "AE",
        "Œ": "OE",
        "Ø": "O",
        "Þ": "TH",
        "Ð": "D",
        "Đ": "D",
        "Ł": "L",
        "Ħ": "H",
        "ẞ": "SS",
    }
)


def _raw_tokens(s: str, *, split_apostrophes: bool) -> list[str]:
    text = unicodedata.normalize("NFKC", s).upper()
    apostrophe_to = " " if split_apostrophes else ""
    text = text.translate({ord(c): apostrophe_to for c in _APOSTROPHES})
    return "".join(c if c.isalpha() else " " for c in text).split()


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    # Upper-case again: NFKD can yield lower-case letters; stray non-letters it yields are
    # dropped so both sides of a comparison tokenize identically.
    return "".join(c for c in text if not unicodedata.combining(c) and c.isalpha()).upper()


def _variants(token: str) -> frozenset[str]:
    # Each expandable letter contributes both spellings on its own, so a name whose letters were
    # transliterated inconsistently ("AANGSTROM" for "ÅNGSTRÖM") still matches; the cap keeps
    # hostile input from growing the product.
    options = [
        (_plain(c), _plain(c.translate(_ICAO_EXPANSIONS))) if c in _EXPANDABLE else (_plain(c),)
        for c in token
    ]
    if sum(len(o) > 1 for o in options) > _MAX_EXPANDABLE_LETTERS:
        return frozenset((_plain(token), _plain(token.translate(_ICAO_EXPANSIONS))))
    return frozenset("".join(choice) for choice in itertools.product(*options))


def normalize_name(s: str) -> list[str]:
    """Upper-case, accent-free name tokens in their original order.

    Apostrophes vanish (ICAO practice), every other non-letter separates tokens, fillers "<"
    included: `normalize_name("d'Artagnan-Müller")` -> ["DARTAGNAN", "MULLER"].
    """
    tokens = (_plain(t) for t in _raw_tokens(s, split_apostrophes=False))
    return [t for t in tokens if t]


def _token_forms(s: str, *, split_apostrophes: bool) -> list[frozenset[str]]:
    forms = (_variants(t) for t in _raw_tokens(s, split_apostrophes=split_apostrophes))
    # A token that normalizes to nothing must not pair with another such token.
    return [f for f in forms if f != {""}]


def _perfect_matching(a: list[frozenset[str]], b: list[frozenset[str]]) -> bool:
    if len(a) != len(b) or not a:
        return False
    # Kuhn's augmenting paths: the "same token" relation is not transitive once umlaut forms
    # are involved (MULLER~MÜLLER~MUELLER), so greedy pairing could miss a valid assignment.
    owner: list[int | None] = [None] * len(b)

    def assign(i: int, seen: set[int]) -> bool:
        for j, forms in enumerate(b):
            if j in seen or not (a[i] & forms):
                continue
            seen.add(j)
            current = owner[j]
            if current is None or assign(current, seen):
                owner[j] = i
                return True
        return False

    return all(assign(i, set()) for i in range(len(a)))


def names_match(a: str, b: str) -> bool:
    """True when two full names denote the same holder name; see the module notes above."""
    for split_a in (False, True):
        forms_a = _token_forms(a, split_apostrophes=split_a)
        if len(forms_a) > _MAX_NAME_TOKENS:
            return False
        for split_b in (False, True):
            forms_b = _token_forms(b, split_apostrophes=split_b)
            if len(forms_b) > _MAX_NAME_TOKENS:
                return False
            if _perfect_matching(forms_a, forms_b):
                return True
    return False


def name_matches(typed_surname: str, typed_given: str, mrz: MRZ) -> bool:
    """Compare what the user typed with the MRZ holder name (order-free, see `names_match`)."""
    return names_match(f"{typed_given} {typed_surname}", f"{mrz.given_names} {mrz.surname}")
