"""The national features, in main-menu order: the one list the dialog and the SMS router read.

Adding a feature is a module exporting FEATURE (handlers/feature.py) plus its catalog entries,
and a line here.
"""

from __future__ import annotations

from handlers import (
    appointments,
    campaigns,
    complaints,
    eligibility,
    language,
    linking,
    renewal,
    services,
    slip,
    status,
    subscriptions,
)
from handlers.feature import Feature, Tables, build
from storage.text import fold_keyword

FEATURES: tuple[Feature, ...] = (
    campaigns.FEATURE,
    eligibility.FEATURE,
    slip.FEATURE,
    appointments.FEATURE,
    status.FEATURE,
    complaints.FEATURE,
    services.FEATURE,
    subscriptions.FEATURE,
    language.FEATURE,
    linking.FEATURE,
    renewal.FEATURE,
)
# Built, and checked, when the application is built (imported): a bad declaration stops it here.
# Keyword words are compared as the SMS router reads them.
TABLES: Tables = build(FEATURES, fold=fold_keyword)
