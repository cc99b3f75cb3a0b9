"""The audit actions this app writes (core.audit.audit_record) and the notifications it sends.

Verifications are not written to the audit chain: the chain serialises every append on one row, and partners verify
hundreds of cards a second. They go to their own append-only table (``Verification``), which is the holder's "who
checked my card" log; refusals are kept there too.
"""

from __future__ import annotations

KEY_CREATE = "greencard.key.create"
KEY_ROTATE = "greencard.key.rotate"
KEY_COMPROMISE = "greencard.key.compromise"
CARD_ISSUE = "greencard.card.issue"
CARD_RENEW = "greencard.card.renew"
CARD_SUSPEND = "greencard.card.suspend"
CARD_REINSTATE = "greencard.card.reinstate"
CARD_REVOKE = "greencard.card.revoke"
CARD_REISSUE = "greencard.card.reissue"
CARD_SUPERSEDE = "greencard.card.supersede"
CARD_EXPIRE = "greencard.card.expire"
CARD_RESIGN = "greencard.card.resign"
CARD_PHOTO = "greencard.card.photo"
REQUEST_SUBMIT = "greencard.request.submit"
REQUEST_MATERIAL = "greencard.request.material"
REQUEST_CLOSE = "greencard.request.close"
REQUEST_RATE = "greencard.request.rate"
API_KEY_CREATE = "greencard.apikey.create"
API_KEY_REVOKE = "greencard.apikey.revoke"
