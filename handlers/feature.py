"""How a national feature declares itself once, and the check the engines run over all of them.

A feature module exports one `Feature`: its main-menu entry, the button prefixes it answers, its
dialog steps (and which step moves to which, as python-telegram-bot's ConversationHandler
`states=` would), its SMS keywords with typed arguments and their action (errbot's `@botcmd`
in spirit), and the catalog files its texts live in. The dialog engine (handlers/dialog.py) and
the SMS router (sms/keywords.py) build their tables with `build()`, which refuses a list where
two features claim one prefix, step or keyword word, or a step no entry leads to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from handlers.base import Ctx, Reply
from handlers.convo import State, Step

MenuOpen = Callable[[Ctx, State], Awaitable[list[Reply]]]
# A button's data (the whole of it, "appt:confirm:12"); None: not one of ours (a stale button).
ButtonHandler = Callable[[Ctx, State, str], Awaitable[list[Reply] | None]]
Args = tuple[str, ...]
Action = Callable[[Ctx, Args], Awaitable[Reply]]
# A text the router did not understand, read again as a keyword (a bare amount after a refused one).
FollowUp = Callable[[Ctx, str], Awaitable[str | None]]
Leave = Callable[[Ctx, State], Awaitable[None]]
HOME = "menu"  # the step between flows; "menu:*" buttons belong to the engine
RESERVED_HEADS = frozenset({"menu"})
RESERVED_KEYWORDS = frozenset({"UNKNOWN", "USAGE"})  # the SMS router's own answers


class ArgSpec(Enum):
    """What follows an SMS keyword (sms/keywords.py reads it into canonical strings)."""

    NONE = ""
    CARD_OPT = "card?"  # one's own, or a card number (spaces allowed inside)
    CARD_YEAR = "card year"
    CARD_YEAR_OPT = "card year?"  # both or neither
    TRACKING_AMOUNT = "tracking amount"
    REST = "rest"  # free text, required
    REST_OPT = "rest?"

    @property
    def required(self) -> bool:
        """Whether the keyword alone is incomplete (answered with its sms.usage.* text)."""
        return self in (ArgSpec.CARD_YEAR, ArgSpec.TRACKING_AMOUNT, ArgSpec.REST)


@dataclass(frozen=True)
class Keyword:
    name: str  # also the sms.usage.<name> key when arguments are missing
    words: tuple[str, ...]  # Persian and Latin spellings; matched with fold_keyword
    args: ArgSpec
    action: Action


@dataclass(frozen=True)
class MenuEntry:
    key: str  # the button is menu.btn.<key>, its data menu:<key>
    open: MenuOpen
    personal: bool = False  # unlinked chats are asked to link first

    @property
    def data(self) -> str:
        return f"menu:{self.key}"


@dataclass(frozen=True)
class Feature:
    name: str
    catalog: tuple[str, ...] = ()  # handlers/locales/<lang>/<name>.toml files it reads
    menu: MenuEntry | None = None
    buttons: Mapping[str, ButtonHandler] = field(default_factory=dict)  # head before ":"
    steps: Mapping[str, Step] = field(default_factory=dict)
    # Steps its menu entry, buttons or another feature start, and where each step may go next.
    entry: tuple[str, ...] = ()
    moves: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # step -> button data (or prefixes ending in ":") that step reads itself instead of the routes
    step_buttons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    leaving: tuple[str, ...] = ()  # button data that first ends whatever flow is under way
    on_leave: Leave | None = None  # called when a flow is left (/cancel, a menu button)
    share_steps: tuple[str, ...] = ()  # steps that show Telegram's share-contact keyboard
    on_file: Step | None = None  # a file sent outside any step (a slip straight from the menu)
    keywords: tuple[Keyword, ...] = ()
    follow_up: FollowUp | None = None


class FeatureError(ValueError):
    """A declaration the engines cannot run: raised while the application is being built."""


@dataclass(frozen=True)
class Tables:
    """What the engines read, built once from the features' declarations."""

    features: tuple[Feature, ...]
    menu: tuple[MenuEntry, ...]
    buttons: Mapping[str, ButtonHandler]
    steps: Mapping[str, Step]
    step_buttons: Mapping[str, tuple[str, ...]]
    leaving: frozenset[str]
    leave_hooks: tuple[Leave, ...]
    share_steps: frozenset[str]
    on_file: Step | None
    keywords: tuple[Keyword, ...]
    follow_ups: tuple[FollowUp, ...]


def _claim(seen: dict[str, str], kind: str, names: Iterable[str], owner: str) -> None:
    for name in names:
        if name in seen:
            raise FeatureError(f"{kind} {name!r} claimed by {seen[name]} and {owner}")
        seen[name] = owner


def _check_steps(f: Feature, all_steps: Mapping[str, str]) -> None:
    """Every move leads to a known step, every step is reached from the feature's entry."""
    for step in (*f.entry, *f.moves):
        if step not in f.steps:
            raise FeatureError(f"{f.name}: {step!r} is not one of its steps")
    for step, targets in f.moves.items():
        for target in targets:
            if target != HOME and target not in all_steps:
                raise FeatureError(f"{f.name}: {step!r} moves to unknown step {target!r}")
    reached, todo = set(f.entry), list(f.entry)
    while todo:
        for target in f.moves.get(todo.pop(), ()):
            if target in f.steps and target not in reached:
                reached.add(target)
                todo.append(target)
    if missing := sorted(set(f.steps) - reached):
        raise FeatureError(f"{f.name}: no entry leads to step(s) {', '.join(missing)}")
    for step in (*f.step_buttons, *f.share_steps):
        if step not in f.steps:
            raise FeatureError(f"{f.name}: {step!r} is not one of its steps")


def build(features: Iterable[Feature], *, fold: Callable[[str], str] = str.casefold) -> Tables:
    """Check the declarations and build the engines' tables; FeatureError names a bad one.

    `fold` is how the SMS router compares keyword words (its normaliser), so two spellings that
    read the same count as one claim.
    """
    feats = tuple(features)
    names: dict[str, str] = {}
    _claim(names, "feature", (f.name for f in feats), "another feature")
    menus: dict[str, str] = {}
    heads: dict[str, str] = dict.fromkeys(RESERVED_HEADS, "the engine")
    steps: dict[str, str] = {HOME: "the engine"}
    keywords: dict[str, str] = {}
    words: dict[str, str] = {}
    for f in feats:
        _claim(menus, "menu entry", [f.menu.key] if f.menu else [], f.name)
        own = {d.split(":", 1)[0] for ds in f.step_buttons.values() for d in ds}
        _claim(heads, "button prefix", sorted(set(f.buttons) | own), f.name)
        _claim(steps, "step", f.steps, f.name)
        _claim(keywords, "keyword", (k.name for k in f.keywords), f.name)
        _claim(words, "keyword word", {fold(w) for k in f.keywords for w in k.words}, f.name)
        for k in f.keywords:
            if k.name in RESERVED_KEYWORDS or not k.words or not callable(k.action):
                raise FeatureError(f"{f.name}: keyword {k.name!r} needs words and an action")
        for data in f.leaving:
            if data.split(":", 1)[0] not in f.buttons:
                raise FeatureError(f"{f.name}: leaving button {data!r} is not one of its own")
    for f in feats:
        _check_steps(f, steps)
    takers = [f for f in feats if f.on_file]
    if len(takers) > 1:
        raise FeatureError(
            f"a file outside a step claimed by {takers[0].name} and {takers[1].name}"
        )
    files = [f.on_file for f in takers if f.on_file]
    return Tables(
        features=feats,
        menu=tuple(f.menu for f in feats if f.menu),
        buttons={head: h for f in feats for head, h in f.buttons.items()},
        steps={name: s for f in feats for name, s in f.steps.items()},
        step_buttons={step: ds for f in feats for step, ds in f.step_buttons.items()},
        leaving=frozenset(d for f in feats for d in f.leaving),
        leave_hooks=tuple(f.on_leave for f in feats if f.on_leave),
        share_steps=frozenset(s for f in feats for s in f.share_steps),
        on_file=files[0] if files else None,
        keywords=tuple(k for f in feats for k in f.keywords),
        follow_ups=tuple(f.follow_up for f in feats if f.follow_up),
    )
