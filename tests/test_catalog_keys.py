"""Every catalog key is used by some code, and every key the code names exists.

Keys are found in the source as string literals («"status.now"») and in the console templates
(«t("console.audit.heading")»). A key built at run time (f"status.labels.{s}") must start with a
prefix declared below: with the values it takes where the code can list them, else as a
namespace a helper fills in (the staff CLI's «say("opened")» is «cases.cli.opened»).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from handlers.eligibility import REASONS
from handlers.features import TABLES
from handlers.i18n import Catalog
from handlers.language import OFFERED
from storage.statuses import Status

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "handlers", "sms", "storage")
CATALOG = Catalog()
KEYS = set().union(*CATALOG.messages.values())
NAMESPACES = {k.split(".")[0] for k in KEYS}
# Built keys whose values the code lists: prefix -> the suffixes it can take.
BUILT: dict[str, set[str]] = {
    "status.labels.": {s.value for s in Status},
    "menu.btn.": {m.key for m in TABLES.menu},
    "language.lang_": set(OFFERED),
    "sms.usage.": {k.name.lower() for k in TABLES.keywords if k.args.required} | {"renew"},
    "eligibility.reason.": set(REASONS),
    "eligibility.next.": set(REASONS),
}
# Built keys a helper or a table fills in: every key under these counts as used.
FILLED = (
    "appointments.done_", "appointments.state.", "complaints.state.", "linking.code_",
    "reminders.appointment_", "status.hint.", "staff.body.", "staff.bc.state.", "staff.role.",
    "staff.review.", "staff.report.", "staff.cli.", "staff.tg.bc.", "cases.cli.", "ops.alert.",
    "ops.doctor.", "broadcasts.", "console.",
)  # fmt: skip
KEYISH = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")
TEMPLATE_KEY = re.compile(r"""\bt\(\s*["']([a-z_.0-9]+)["']""")


def _trees() -> Iterator[tuple[Path, ast.AST]]:
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def _is_t_call(node: ast.Call) -> bool:
    fn = node.func
    return (isinstance(fn, ast.Attribute) and fn.attr == "t") or (
        isinstance(fn, ast.Name) and fn.id in ("ask", "t")
    )


def scan() -> tuple[set[str], set[str], set[str]]:
    """(literals that look like keys, keys named in t()/ask() calls, f-string key prefixes)."""
    literals: set[str] = set()
    called: set[str] = set()
    prefixes: set[str] = set()
    for _, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if KEYISH.match(node.value) and node.value.split(".")[0] in NAMESPACES:
                    literals.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values:
                head = node.values[0]
                if isinstance(head, ast.Constant) and isinstance(head.value, str):
                    text = head.value
                    if "." in text and text.split(".")[0] in NAMESPACES and " " not in text:
                        prefixes.add(text)
            elif isinstance(node, ast.Call) and _is_t_call(node):
                for arg in node.args[:2]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        if KEYISH.match(arg.value):
                            called.add(arg.value)
    for page in sorted((ROOT / "bot" / "console" / "templates").glob("*.html")):
        for key in TEMPLATE_KEY.findall(page.read_text(encoding="utf-8")):
            if key.endswith((".", "_")):  # t("console.bc.act_" ~ a): built in the template
                prefixes.add(key)
            else:
                literals.add(key)
                called.add(key)
    return literals, called, prefixes


def _declared(prefix: str) -> bool:
    return prefix in BUILT or any(prefix.startswith(p) for p in FILLED)


def test_every_built_key_has_a_declared_prefix() -> None:
    _, _, prefixes = scan()
    assert sorted(p for p in prefixes if not _declared(p)) == []


def test_every_key_named_in_the_code_exists() -> None:
    _, called, _ = scan()
    built = {p + s for p, suffixes in BUILT.items() for s in suffixes}
    assert sorted(k for k in called | built if k not in KEYS) == []


def test_every_catalog_key_is_used() -> None:
    literals, _, _ = scan()
    built = {p + s for p, suffixes in BUILT.items() for s in suffixes}
    used = literals | built

    def is_used(key: str) -> bool:
        if key.endswith("_shell"):  # the terminal's wording of a used key (Ctx.t)
            key = key[: -len("_shell")]
        return key in used or any(key.startswith(p) for p in FILLED)

    assert sorted(k for k in KEYS if not is_used(k)) == []


def test_the_check_finds_a_missing_and_an_unused_key(tmp_path: Path) -> None:
    """The test's own test: a catalog with one stray key, code naming one that is not there."""
    (tmp_path / "fa").mkdir()
    (tmp_path / "fa" / "status.toml").write_text('now = "x"\nstray = "y"\n', encoding="utf-8")
    keys = set().union(*Catalog(tmp_path).messages.values())
    code = ast.parse('ctx.t("status.now")\nctx.t("status.gone")')
    named = {
        n.args[0].value
        for n in ast.walk(code)
        if isinstance(n, ast.Call) and _is_t_call(n) and isinstance(n.args[0], ast.Constant)
    }
    assert named - keys == {"status.gone"} and keys - named == {"status.stray"}
