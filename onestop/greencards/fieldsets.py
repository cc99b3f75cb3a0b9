"""What each kind of partner sees after a valid scan: only what its service needs (data minimisation, PIPL art. 6).

One reviewable table, like the capability table in core/permissions.py. A field is either a card attribute or
``entitlement:<code>`` — whether the holder's card class carries that entitlement (e.g. the hospital sees whether the
medical green channel applies). Never: ID number, phone, address, family members, the card id.
"""

from __future__ import annotations

from onestop.core.choices import PartnerKind

NAME = "name"
PHOTO = "photo"
CARD_CLASS = "card_class"
VALID_UNTIL = "valid_until"
EMPLOYER = "employer"
ENTITLEMENT = "entitlement:"

FIELD_SETS: dict[str, tuple[str, ...]] = {
    PartnerKind.HOSPITAL: (NAME, PHOTO, CARD_CLASS, VALID_UNTIL, "entitlement:medical_green_channel"),
    PartnerKind.SCHOOL: (NAME, PHOTO, CARD_CLASS, VALID_UNTIL, "entitlement:school_enrolment"),
    PartnerKind.BANK: (NAME, CARD_CLASS, VALID_UNTIL),
    PartnerKind.PARK: (NAME, PHOTO, CARD_CLASS, VALID_UNTIL, EMPLOYER),
    PartnerKind.HOUSING: (NAME, PHOTO, CARD_CLASS, VALID_UNTIL, "entitlement:housing_support",
                          "entitlement:talent_apartment"),
}


def fields_for(kind: str) -> tuple[str, ...]:
    """Unknown kinds see nothing but the verdict."""
    return FIELD_SETS.get(kind, ())


def entitlement_codes(fields: tuple[str, ...]) -> list[str]:
    return [f[len(ENTITLEMENT):] for f in fields if f.startswith(ENTITLEMENT)]
