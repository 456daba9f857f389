"""What nationals read, checked over every catalog in every offered language: texts only quote
buttons that exist, labels stay the same between Persian and Dari, one kind of digits per
language, and the services data file is complete in each language."""

from __future__ import annotations

import re
import string

import pytest

from handlers.datafiles import load_toml
from handlers.i18n import Catalog
from handlers.language import OFFERED
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
# Texts only staff read (Persian by rule, English on request; never Dari or Pashto): whole
# files, then the staff lines of files nationals read too — the console but its canned complaint
# answers; staff.toml but notices, announcements, outage notices, exemption
# bodies and slip-rejection reasons; cases.toml's staff chat, CLI and casework lines.
STAFF_FILES = ("broadcasts", "ops", "outbound", "review_copy")
STAFF_ONLY = re.compile(
    rf"^(({'|'.join(STAFF_FILES)})\."
    r"|console\.(?!canned\.)"
    r"|staff\.(?!notice\.|announce\.|outage\.(notice|sms|menu)$|body\.|review\.reason\.)"
    r"|cases\.(staff_|backdated$|tg_|cli\.))"
)
NATIONAL = sorted(k for k in CATALOG.messages["fa"] if not STAFF_ONLY.search(k))
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


@pytest.mark.parametrize("lang", [lg for lg in OFFERED if lg != "fa"])
def test_every_text_nationals_read_is_written_in_every_offered_language(lang: str) -> None:
    """A key added in Persian only would reach Dari, Pashto and English readers in Persian."""
    assert {"cases.missed_sms", "console.canned.resolved", "staff.announce.sms"} <= set(NATIONAL)
    assert "cases.staff_opened" not in NATIONAL and "review_copy.pdf" not in NATIONAL
    missing = [k for k in NATIONAL if k not in CATALOG.messages[lang]]
    assert missing == []


def _fields(value: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(value) if name}


def _words(value: str) -> list[str]:
    return [w for w in re.sub(r"\{[^}]*\}", " ", value).split() if re.search(r"\w{2}", w)]


@pytest.mark.parametrize("lang", [lg for lg in OFFERED if lg != "fa"])
def test_each_translation_fills_the_persian_placeholders_and_is_translated(lang: str) -> None:
    fa, own = CATALOG.messages["fa"], CATALOG.messages[lang]
    differ = [k for k in own if k in fa and _fields(own[k]) != _fields(fa[k])]
    assert differ == []
    if lang == "ps":  # Dari shares many sentences with Persian; Pashto does not
        copied = [k for k in NATIONAL if own.get(k) == fa[k] and len(_words(fa[k])) >= 3]
        assert copied == []
