"""Automatic checks of a case, as pure functions of what the pioneer typed and uploaded.

Each returns a `Finding` with a machine-readable `code`; `passed=False` findings become
risk flags that send the case to a moderator. Nothing here touches the database.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageStat

from kyc import mrz as mrz_parser


@dataclass(frozen=True)
class Finding:
    name: str
    passed: bool
    code: str
    detail: str = ""


@dataclass(frozen=True)
class CaseFacts:
    document_type: str
    surname: str
    given_names: str
    birth_date: datetime.date
    nationality: str
    issuing_state: str
    document_number: str
    expiry_date: datetime.date
    mrz: str


def identity_hash(
    *, key: bytes, document_number: str, issuing_state: str, birth_date: datetime.date
) -> str:
    number, state = document_number.strip().upper(), issuing_state.strip().upper()
    message = f"{number}|{state}|{birth_date.isoformat()}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def age_on(birth_date: datetime.date, today: datetime.date) -> int:
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def check_expiry(facts: CaseFacts, today: datetime.date) -> Finding:
    if facts.expiry_date < today:
        return Finding(
            "document_expiry", False, "document_expired", f"expired on {facts.expiry_date}"
        )
    return Finding("document_expiry", True, "document_valid")


def check_age(facts: CaseFacts, today: datetime.date, minimum: int) -> Finding:
    if age_on(facts.birth_date, today) < minimum:
        return Finding("minimum_age", False, "underage", f"younger than {minimum}")
    return Finding("minimum_age", True, "age_ok")


def check_mrz(facts: CaseFacts, today: datetime.date) -> list[Finding]:
    """MRZ check digits, and MRZ fields against the form (names tolerate accents and order)."""
    if not facts.mrz.strip():
        return [Finding("mrz", False, "mrz_missing", "no machine-readable zone was given")]
    try:
        parsed = mrz_parser.parse(facts.mrz, today=today)
    except mrz_parser.MRZFormatError as error:
        return [Finding("mrz", False, "mrz_unreadable", str(error))]
    findings = [
        Finding("mrz", False, "mrz_check_digit", "; ".join(parsed.errors))
        if parsed.errors
        else Finding("mrz", True, "mrz_valid")
    ]
    mismatches = []
    if parsed.document_number != facts.document_number.strip().upper():
        mismatches.append("document_number")
    if parsed.birth_date != facts.birth_date:
        mismatches.append("birth_date")
    if parsed.expiry_date != facts.expiry_date:
        mismatches.append("expiry_date")
    if parsed.issuing_state != facts.issuing_state.strip().upper():
        mismatches.append("issuing_state")
    if not mrz_parser.name_matches(facts.surname, facts.given_names, parsed):
        mismatches.append("name")
    findings.append(
        Finding("mrz_matches_form", False, "mrz_mismatch", ", ".join(mismatches))
        if mismatches
        else Finding("mrz_matches_form", True, "mrz_matches_form")
    )
    return findings


def check_image_quality(kind: str, width: int, height: int, blank: bool) -> Finding:
    if blank:
        return Finding(f"image_quality_{kind}", False, "image_blank", f"{kind} looks blank")
    if min(width, height) < 320:
        return Finding(
            f"image_quality_{kind}", False, "image_too_small", f"{kind} is {width}x{height}"
        )
    return Finding(f"image_quality_{kind}", True, "image_ok")


# What each outcome means, for the people reading it (moderators, and the person whose
# photo it is); the code stays the machine-readable record.
CHECK_WORDS: dict[str, str] = {
    "document_valid": "The document is in date.",
    "document_expired": "The document has expired.",
    "age_ok": "The person is old enough.",
    "underage": "The person is younger than the minimum age.",
    "mrz_valid": "The machine-readable zone's check digits add up.",
    "mrz_missing": "No machine-readable zone was typed.",
    "mrz_unreadable": "The machine-readable zone could not be read.",
    "mrz_check_digit": "The machine-readable zone's check digits do not add up.",
    "mrz_matches_form": "The machine-readable zone agrees with the form.",
    "mrz_mismatch": "The machine-readable zone disagrees with the form.",
    "image_ok": "The photo is usable.",
    "image_blank": "The photo looks blank (all one colour).",
    "image_too_small": "The photo is too small to read.",
    "identity_unique": "No other account has this identity.",
    "duplicate_identity": "Another account has already used this identity.",
    "checks_failed": "The automatic checks did not finish; check this case by hand.",
}

CHECK_NAMES: dict[str, str] = {
    "document_expiry": "Document date",
    "minimum_age": "Age",
    "mrz": "Machine-readable zone",
    "mrz_matches_form": "Zone against the form",
    "image_quality_id_front": "Front photo",
    "image_quality_id_back": "Back photo",
    "image_quality_selfie": "Selfie",
    "one_identity": "One identity, one account",
}


def in_words(name: str, code: str) -> tuple[str, str]:
    """A check's name and outcome as sentences (the code itself when there is none yet)."""
    return CHECK_NAMES.get(name, name.replace("_", " ").capitalize()), CHECK_WORDS.get(code, code)


# Thresholds of the photo warnings: a grey mean under DARK_MEAN (of 255) is too dark to
# read; a photo whose edges barely change when blurred again (SHARPNESS_RATIO) was blurred
# already. Both measured on a 512-pixel thumbnail, so a photo's size does not move them.
DARK_MEAN = 50.0
SHARPNESS_RATIO = 5.0
PHOTO_WARNINGS = {
    "image_blank": "looks blank (all one colour): take the photo again with the {what} in view.",
    "image_dark": "is too dark to read: take it again in better light.",
    "image_blurred": "looks blurred: hold still, let the camera focus, and take it again.",
    "image_too_small": "is too small to read: take it closer, filling the frame.",
}


def photo_problems(image: Image.Image) -> list[str]:
    """Codes of what makes a document photo hard to check (blank, dark, blurred, small)."""
    width, height = image.size
    grey = image.convert("L")
    grey.thumbnail((512, 512))
    stats = ImageStat.Stat(grey)
    if stats.stddev[0] < 4.0:
        return ["image_blank"]
    problems = []
    if stats.mean[0] < DARK_MEAN:
        problems.append("image_dark")
    edges = ImageStat.Stat(grey.filter(ImageFilter.FIND_EDGES).crop(_inner(grey))).var[0]
    softened = grey.filter(ImageFilter.GaussianBlur(2)).filter(ImageFilter.FIND_EDGES)
    again = ImageStat.Stat(softened.crop(_inner(grey))).var[0]
    if edges < SHARPNESS_RATIO * again:
        problems.append("image_blurred")
    if min(width, height) < 320:
        problems.append("image_too_small")
    return problems


def _inner(image: Image.Image) -> tuple[int, int, int, int]:
    """The image without a 3-pixel frame, where edge filters see the border, not content."""
    width, height = image.size
    return (3, 3, max(4, width - 3), max(4, height - 3))


def photo_warnings(content: bytes, *, what: str) -> list[str]:
    """What to tell the person about the photo of `what` they just uploaded, in words."""
    with Image.open(io.BytesIO(content)) as image:
        problems = photo_problems(image)
    return [f"The {what} " + PHOTO_WARNINGS[code].format(what=what) for code in problems]
