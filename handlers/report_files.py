"""The daily report as files staff open: a PNG chart and an Excel sheet, both in the staff's
language (Persian by default), right to left.

matplotlib 3.11 lays text out with libraqm: Persian letters are joined and ordered right to
left by matplotlib itself (arabic-reshaper + python-bidi on top of that reverse it again — tried
and looked at), so strings go in as they are. The glyphs come from Noto Sans Arabic (Debian's
fonts-noto-core), Latin letters and digits from DejaVu Sans.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

from handlers.fmt import number
from handlers.jalali import format_date, format_short
from handlers.report import FIXED, DailyReport, Period, label
from handlers.runtime import Runtime

FONT_FAMILY = "Noto Sans Arabic"
FONT_FILES = ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf")
BAR, BAR_SO_FAR = "#2a7ab0", "#9cc3dd"


def shaped(text: str, lang: str) -> str:
    """The text as matplotlib takes it (it shapes and orders it itself, see above)."""
    return text


def _font() -> Any:
    """Noto Sans Arabic, then DejaVu Sans for what it lacks (Latin letters).

    matplotlib keeps a font list cached from its first run; a font installed after that (the
    Makefile's fonts-noto-core) is added from its file.
    """
    from matplotlib import font_manager

    try:
        font_manager.findfont(
            font_manager.FontProperties(family=FONT_FAMILY), fallback_to_default=False
        )
    except ValueError:
        for path in font_manager.findSystemFonts():
            if Path(path).name in FONT_FILES:
                font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(family=[FONT_FAMILY, "DejaVu Sans"])


Series = list[tuple[str, list[int], str]]  # (legend, one value per name, colour)


def _bars(ax: Any, lang: str, names: list[str], series: Series, font: Any) -> None:
    """Horizontal bars, one group per figure, a number at the end of each bar.

    Right to left for Persian: labels on the right and bars growing leftwards. The axis starts
    at 0 whatever the data (an empty day draws no negative axis).
    """
    rtl = lang != "en"
    height = 0.8 / len(series)
    top = max((max(v) for _, v, _ in series if v), default=0)
    for i, (name, values, color) in enumerate(series):
        ys = [y + i * height for y in range(len(names))]
        ax.barh(ys, values, height=height, color=color, label=shaped(name, lang))
        for y, v in zip(ys, values, strict=True):  # the number just past the bar's end
            ax.annotate(number(v, lang), xy=(v, y), xytext=(-4 if rtl else 4, 0),
                        textcoords="offset points", ha="right" if rtl else "left",
                        va="center", fontsize=8, fontproperties=font)  # fmt: skip
    ax.set_yticks([y + height * (len(series) - 1) / 2 for y in range(len(names))])
    ax.set_yticklabels([shaped(n, lang) for n in names], fontproperties=font, fontsize=9)
    ax.set_xlim(0, max(1, top) * 1.2)
    ax.invert_yaxis()
    ax.set_xticks([])
    for side in ("top", "left", "bottom") if rtl else ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    if rtl:
        ax.invert_xaxis()
        ax.yaxis.tick_right()


def _series(rt: Runtime, lang: str, report: DailyReport, get: Any) -> Series:
    day = rt.t(lang, "staff.report.chart.day", day=format_date(report.day, lang))
    out = [(day, get(report.today), BAR)]
    if report.so_far is not None:
        so_far = rt.t(lang, "staff.report.chart.so_far", campaign=report.campaign)
        out.append((so_far, get(report.so_far), BAR_SO_FAR))
    return out


def _draw(rt: Runtime, report: DailyReport, lang: str) -> bytes:
    buf = io.BytesIO()
    build_figure(rt, report, lang).savefig(buf, format="png")
    return buf.getvalue()


def build_figure(rt: Runtime, report: DailyReport, lang: str = "fa") -> Any:
    """The chart's matplotlib Figure: activity bars, statuses reached, the SMS parts and cost."""
    from matplotlib.figure import Figure  # Figure needs no pyplot and no GUI backend

    font = _font()
    periods = [p for p in (report.today, report.so_far) if p is not None]
    statuses = sorted({s for p in periods for s in p.statuses})
    fig = Figure(figsize=(10, 8.5 if statuses else 6.5), dpi=100)
    grid = fig.add_gridspec(
        2 if statuses else 1,
        1,
        height_ratios=[len(FIXED), max(1, len(statuses))] if statuses else [1],
    )
    ax = fig.add_subplot(grid[0])
    names = [label(rt, lang, m) for m in FIXED]
    _bars(ax, lang, names, _series(rt, lang, report,
          lambda p: [p.figures.get(m, 0) for m in FIXED]), font)  # fmt: skip
    ax.set_title(shaped(rt.t(lang, "staff.report.chart.activity"), lang), fontproperties=font)
    if statuses:
        ax2 = fig.add_subplot(grid[1])
        _bars(ax2, lang, [rt.t(lang, f"status.labels.{s}") for s in statuses],
              _series(rt, lang, report, lambda p: [p.statuses.get(s, 0) for s in statuses]),
              font)  # fmt: skip
        ax2.set_title(shaped(rt.t(lang, "staff.report.chart.statuses"), lang), fontproperties=font)
    if len(periods) > 1:  # one legend for both panels, under the title
        fig.legend(*ax.get_legend_handles_labels(), prop=font, ncols=2, loc="upper center",
                   bbox_to_anchor=(0.5, 0.95), frameon=False)  # fmt: skip
    title = rt.t(lang, "staff.report.chart.title", day=format_date(report.day, lang))
    fig.suptitle(shaped(title, lang), fontproperties=font, fontsize=14)
    fig.text(0.5, 0.01, shaped(_sms_line(rt, lang, report), lang), ha="center",
             fontproperties=font, fontsize=10)  # fmt: skip
    fig.tight_layout(rect=(0, 0.04, 1, 0.92))
    return fig


def _sms_line(rt: Runtime, lang: str, report: DailyReport) -> str:
    def one(p: Period) -> str:
        return rt.t(lang, "staff.report.chart.sms", parts=number(p.sms_parts, lang),
                    cost=number(p.sms_cost_rials, lang))  # fmt: skip

    line = one(report.today)
    if report.so_far is not None:
        line += f"   |   {rt.t(lang, 'staff.report.chart.so_far', campaign=report.campaign)}: "
        line += one(report.so_far)
    return line


async def chart_png(rt: Runtime, report: DailyReport, lang: str = "fa") -> bytes:
    """The chart as PNG bytes, drawn in a thread (matplotlib is synchronous and slow)."""
    return await asyncio.to_thread(_draw, rt, report, lang)


def to_xlsx(rt: Runtime, report: DailyReport, lang: str = "fa") -> bytes:
    """One right-to-left sheet: the figure's name, the day's and the campaign's numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook holds one worksheet, the active one
    ws.title = rt.t(lang, "staff.report.xlsx.sheet")[:31]
    ws.sheet_view.rightToLeft = lang != "en"
    day = format_short(report.day)
    head = [rt.t(lang, "staff.report.xlsx.metric"), rt.t(lang, "staff.report.xlsx.day", day=day)]
    if report.so_far is not None:
        head.append(rt.t(lang, "staff.report.xlsx.campaign", campaign=report.campaign))
    ws.append(head)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for name, today, so_far in report.rows():
        row: list[Any] = [label(rt, lang, name), today]
        if report.so_far is not None:
            row.append(so_far)
        ws.append(row)
    ws.column_dimensions["A"].width = 34
    for col in ("B", "C"):
        ws.column_dimensions[col].width = 18
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
