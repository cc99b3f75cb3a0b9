"""Writes of the green card, one module per concern:

* ``lifecycle`` — issue, suspend, reinstate, revoke, reissue (loss), renew, follow certification, expire, photo;
* ``verification`` — partners verify a token: the session path and the API-key (m2m) hot path, the scan log, the
  rate limits, the partner's field set;
* ``signing`` — signing keys: create, rotate, compromise, sign a card's token;
* ``apikeys`` — partner checkers' machine-to-machine keys: create (shown once), revoke;
* ``entitlement_requests`` — service requests on the generic workflow: submit, add material, outcome, rating;
* ``common`` — constants, business errors and helpers they share.

Every status change is one service: validate, check who may do it, then inside ``transaction.atomic()`` a conditional
``UPDATE … WHERE status IN (<allowed sources>)`` whose row count must be 1, then the audit entry and the notification.
The database refuses a second current card for one holder and a second active signing key.

``onestop.greencards.services.<name>`` keeps working for every name below: callers import from the package, not from
its modules.
"""

from onestop.core.exceptions import Conflict, NotFound, ValidationFailed

from .apikeys import (
    API_KEY_NAME_MAX,
    API_KEY_PREFIX,
    IssuedApiKey,
    Unauthenticated,
    api_key_create,
    api_key_hash,
    api_key_revoke,
)
from .common import (
    CARD_ID_ALPHABET,
    CARD_ID_LENGTH,
    GREENCARD_DEFINITION,
    REASON_MAX,
    PartnerInfo,
    RateLimited,
    TransitionNotAllowed,
    checker_partner,
    new_card_id,
    validity_window,
)
from .entitlement_requests import (
    entitlement_request_add_material,
    entitlement_request_rate,
    entitlement_request_submit,
    request_case,
    request_record_outcome,
)
from .lifecycle import (
    card_for_certification,
    card_issue,
    card_photo_set,
    card_reinstate,
    card_reissue,
    card_renew,
    card_revoke,
    card_suspend,
    cards_expire,
)
from .signing import _active_key, signing_key_compromise, signing_key_rotate
from .verification import STATUS_REASONS, CardRow, ScanRecord, VerifyOutcome, card_verify, card_verify_m2m

__all__ = [
    "API_KEY_NAME_MAX", "API_KEY_PREFIX", "CARD_ID_ALPHABET", "CARD_ID_LENGTH", "GREENCARD_DEFINITION", "REASON_MAX",
    "STATUS_REASONS", "CardRow", "Conflict", "IssuedApiKey", "NotFound", "PartnerInfo", "RateLimited", "ScanRecord",
    "TransitionNotAllowed", "Unauthenticated", "ValidationFailed", "VerifyOutcome", "_active_key", "api_key_create",
    "api_key_hash", "api_key_revoke", "card_for_certification", "card_issue", "card_photo_set", "card_reinstate",
    "card_reissue", "card_renew", "card_revoke", "card_suspend", "card_verify", "card_verify_m2m", "cards_expire",
    "checker_partner", "entitlement_request_add_material", "entitlement_request_rate", "entitlement_request_submit",
    "new_card_id", "request_case", "request_record_outcome", "signing_key_compromise", "signing_key_rotate",
    "validity_window",
]
