"""What nationals read, checked over every catalog in every offered language: texts only quote
buttons that exist, labels stay the same between Persian and Dari, one kind of digits per
language, and the services data file is complete in each language."""

from __future__ import annotations

import re

import pytest

from handlers.datafiles import load_toml
from handlers.flows import OFFERED
from handlers.i18n import Catalog
from handlers.services import FIELDS, SERVICES, services

CATALOG = Catalog()
KEYS = sorted({k for flat in CATALOG.messages.values() for k in flat})
# A key whose value is a button label (the last part of the key names it).
LABEL_KEY = re.compile(
    r"(^menu\.btn\.|\.btn_|\.btn\.|_button$|\.lang_[a-z]+$|^services\.(prev|next|back)$"
    r"|^staff\.review\.(approve|reject|skip|typed)$"
    r"|^staff\.tg\.bc\.(add_\w+|to_segment|send|schedule|discard|stop)$)"
)
QUOTED = re.compile(r"«([^»]*)»|“([^”]*)”|\"([^\"]*)\"")
DECORATION = "✅❌⏭✍🔗↩📱✉➕➡🚀🕘🗑⛔\ufe0f "
# Texts staff read (Persian by rule) and the staff tools' own words; nationals never see them.
# The console is staff's, except its canned complaint answers, which nationals read.
STAFF_ONLY = re.compile(
    r"^(console\.(?!canned)|broadcasts\.|staff\.(?!notice|announce|outage\.(notice|sms|menu)))"
)
# Words the same in both, or where Dari grammar needs its own form.
FA_PRS_DIFFERENT = {"appointments.btn_cannot", "status.btn_member"}


def text(lang: str, key: str) -> str:
    return CATALOG.t(lang, key)


def labels(lang: str) -> set[str]:
    out = {text(lang, k).strip(DECORATION) for k in KEYS if LABEL_KEY.search(k)}
    out |= {s.text(lang).short for s in services()}
    return out


@pytest.mark.parametrize("lang", OFFERED)
def test_a_quoted_label_is_a_button_of_that_language(lang: str) -> None:
    known = labels(lang)
    wrong = []
    for key in KEYS:
        for match in QUOTED.finditer(text(lang, key)):
            quoted = next(g for g in match.groups() if g is not None)
            if "{" not in quoted and quoted.strip(DECORATION) not in known:
                wrong.append(f"{key}: «{quoted}»")
    for s in services():
        t = s.text(lang)
        for field in (t.fee, t.where, *t.documents):
            wrong += [f"service {s.id}: {m.group(0)}" for m in QUOTED.finditer(field)
                      if m.group(0).strip("«»“”\"") not in known]  # fmt: skip
    print(lang, sorted(known))
    assert wrong == []


def test_persian_and_dari_show_the_same_labels() -> None:
    differ = [
        (k, text("fa", k), text("prs", k))
        for k in KEYS
        if LABEL_KEY.search(k) and k not in FA_PRS_DIFFERENT and text("fa", k) != text("prs", k)
    ]
    assert differ == []
    assert [s.text("fa").short for s in services()] == [s.text("prs").short for s in services()]


def _ascii_numbers(value: str) -> list[str]:
    # A token with Latin letters is a code or a command (C-1405-000123, PDF, /menu): left alone.
    return [w for w in value.split() if re.search(r"[0-9]", w) and not re.search("[A-Za-z]", w)]


@pytest.mark.parametrize("lang", OFFERED)
def test_one_kind_of_digits_in_what_nationals_read(lang: str) -> None:
    wrong = []
    for key in KEYS:
        if STAFF_ONLY.search(key):
            continue
        value = text(lang, key)
        if lang == "en":
            wrong += [f"{key}: {value}"] if re.search("[۰-۹٠-٩]", value) else []
        else:
            wrong += [f"{key}: {w}" for w in _ascii_numbers(value)]
    assert wrong == []


def test_every_service_field_is_written_in_every_offered_language() -> None:
    raw = load_toml(SERVICES)["service"]
    missing = [
        f"service {row['id']}: {field}_{lang}"
        for row in raw
        for field in FIELDS
        for lang in OFFERED
        if not row.get(f"{field}_{lang}")
    ]
    assert missing == [] and len(raw) == 23
    # Pashto pages are Pashto, not Persian under Pashto headings.
    assert all(s.text("ps").name != s.text("fa").name for s in services())


@pytest.mark.parametrize("lang", OFFERED)
def test_the_undertaking_for_those_left_behind_is_explained_where_it_is_named(lang: str) -> None:
    for key in ("status.hint.missed_window", "eligibility.next.window_closed"):
        value = text(lang, key)
        assert "(" in value and len(value) > 90, (key, value)  # a one-line explanation in brackets
