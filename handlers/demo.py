"""Demo data so anyone can try the service with no token and no network."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.admin import add_campaign, count_nationals
from storage.models import Application, Appointment, National, StatusEvent
from storage.registry import upsert_nationals

OFFICES = [
    {"name": "دفتر کفالت شماره ۱ بیرجند", "address": "بیرجند، خیابان طالقانی، پلاک ۱۲",
     "city": "بیرجند"},
    {"name": "دفتر کفالت شماره ۲ قائن", "address": "قائن، بلوار امام، پلاک ۷", "city": "قائن"},
]  # fmt: skip
DOCUMENTS = ["کارت آمایش", "برگه تردد ۹۰ روزه معتبر", "فیش واریزی هزینه مصوب"]
PROVINCE = "خراسان جنوبی"


def _person(
    card: str,
    hh: str,
    head: bool,
    first: str,
    year: int,
    gender: str,
    mobile: str | None,
    expiry: date,
    transit: date | None,
    lang: str | None,
    rnd: int = 17,
) -> dict[str, Any]:
    return {
        "card_number": card, "household_number": hh, "is_head": head, "first_name": first,
        "last_name": "احمدی" if hh == "H-1001" else "رحیمی", "father_name": "محمد",
        "birth_year": year, "gender": gender, "nationality": "AF", "province": PROVINCE,
        "city": "بیرجند", "mobile": mobile, "card_expiry": expiry, "transit_sheet_expiry": transit,
        "language": lang, "card_round": rnd, "unique_code": None,
    }  # fmt: skip


async def load_demo(session: AsyncSession, today: date, now: datetime) -> bool:
    """Load a campaign open today and two households; False if the registry is not empty."""
    if await count_nationals(session):
        return False
    campaign = await add_campaign(
        session, "demo", code="AMAYESH-19", title="طرح آمایش ۱۹", kind="renewal",
        eligible_rounds=[15, 16, 17], provinces=[PROVINCE], starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=55), max_days_expired=365,
        fee_items=[{"name": "هزینه آمایش", "rials": 300_000}], bank_account="2171134756001",
        documents=DOCUMENTS, offices=OFFICES,
    )  # fmt: skip
    soon, later = today + timedelta(days=60), today + timedelta(days=40)
    people = [
        _person("100200300", "H-1001", True, "علی", 1360, "M", "09151234567", soon, later, "prs"),
        _person("100200301", "H-1001", False, "فاطمه", 1365, "F", None, soon, later, "prs"),
        _person("100200302", "H-1001", False, "حسین", 1385, "M", None, soon, None, "prs"),
        _person("200300400", "H-2002", True, "گل‌احمد", 1355, "M", "09157654321", soon, later, "ps"),
        _person(
            "300400500", "H-3003", True, "زهرا", 1370, "F", "09150001122", soon, later, "fa", 14
        ),
    ]
    await upsert_nationals(session, people)
    await session.flush()
    ali = await session.scalar(select(National).where(National.card_number == "100200300"))
    assert ali is not None
    app = Application(national_id=ali.id, campaign_id=campaign.id, status="awaiting_payment")
    session.add(app)
    await session.flush()
    for status in ("registered", "docs_review", "awaiting_payment"):
        session.add(StatusEvent(application_id=app.id, status=status, actor="demo", at=now))
    session.add(
        Appointment(
            application_id=app.id, national_id=ali.id, office=OFFICES[0]["name"],
            address=OFFICES[0]["address"], starts_at=now + timedelta(days=3),
            attendees="همه اعضای خانوار", purpose="انگشت‌نگاری و عکس",
        )
    )  # fmt: skip
    return True
