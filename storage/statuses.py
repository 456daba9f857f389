"""The application status vocabulary and the transitions staff may make (labels: catalogs)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    REGISTERED = "registered"
    DOCS_REVIEW = "docs_review"
    DOCS_INCOMPLETE = "docs_incomplete"
    AWAITING_PAYMENT = "awaiting_payment"
    PAYMENT_REVIEW = "payment_review"
    PAID = "paid"
    EXEMPTION_REVIEW = "exemption_review"
    EXEMPTED = "exempted"
    IDENTITY_CHECK = "identity_check"
    APPROVED = "approved"
    PERMIT_ISSUED = "permit_issued"
    CARD_PRINTING = "card_printing"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    MISSED_WINDOW = "missed_window"


S = Status
# The path of a case through the bureau; "rejected" and "missed_window" end it early,
# and a missed case can be let back in (the undertaking of جاماندگان).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.REGISTERED: frozenset({S.DOCS_REVIEW, S.AWAITING_PAYMENT, S.REJECTED, S.MISSED_WINDOW}),
    S.DOCS_REVIEW: frozenset(
        {S.DOCS_INCOMPLETE, S.AWAITING_PAYMENT, S.EXEMPTION_REVIEW, S.REJECTED}
    ),
    S.DOCS_INCOMPLETE: frozenset({S.DOCS_REVIEW, S.REJECTED, S.MISSED_WINDOW}),
    S.AWAITING_PAYMENT: frozenset(
        {S.PAYMENT_REVIEW, S.EXEMPTION_REVIEW, S.REJECTED, S.MISSED_WINDOW}
    ),
    S.PAYMENT_REVIEW: frozenset({S.PAID, S.AWAITING_PAYMENT, S.REJECTED}),
    S.PAID: frozenset({S.IDENTITY_CHECK, S.APPROVED}),
    S.EXEMPTION_REVIEW: frozenset({S.EXEMPTED, S.AWAITING_PAYMENT, S.REJECTED}),
    S.EXEMPTED: frozenset({S.IDENTITY_CHECK, S.APPROVED}),
    S.IDENTITY_CHECK: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.PERMIT_ISSUED}),
    S.PERMIT_ISSUED: frozenset({S.CARD_PRINTING}),
    S.CARD_PRINTING: frozenset({S.READY_FOR_PICKUP}),
    S.READY_FOR_PICKUP: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.REJECTED: frozenset({S.DOCS_REVIEW}),
    S.MISSED_WINDOW: frozenset({S.REGISTERED}),
}


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower())
    except ValueError:
        raise ValueError(f"unknown status {value!r}") from None


def can_move(current: str, new: str) -> bool:
    return Status(new) in TRANSITIONS[Status(current)]
