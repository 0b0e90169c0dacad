"""The service indicators of Decision 766/QĐ-TTg that the ward's own dossiers can give, with their formulas and sources.

Facts followed (../shared/officials-facts.md, "Decision 766" and "Targets"): the portal's formula note for 2.1, 3.3,
3.6, 4.1, 4.2 and 5.4; the group maxima (transparency 18, progress and results 20, digitisation 22, online service
22 = 12 + online payment 10, satisfaction 18); proportional scoring below a full-points threshold
(rate × maximum ÷ threshold); Resolution 01/NQ-CP (2026) targets. The annex with points per indicator was not
found, so an indicator's points are given only where both its maximum and its threshold are known; otherwise the
rate is shown with "điểm chưa xác nhận" and, where the threshold is known, the share of the indicator's maximum it
earns (rate ÷ threshold, at most 100 %).

Who counts (all in SQL, grouped queries over the ``received_at`` / ``finished_at`` indexes of migration 3, the
``(finished_at, received_at)`` index of migration 5 and the open-dossier partial index; ``bench/officials_indicators.py``
times them over a million dossiers):

- **received in the period**: ``received_at`` in [from, to], status other than ``not_received`` (refused at the
  desk: never received). 3.3 and 3.6 count these.
- **resolved in the period**: ``finished_at`` in [from, to] with status done, returned (a result) or stopped
  (processing stopped/refused). 4.1 and 4.2 count those with a result (done, returned).
- **2.1 judged**: resolved in the period, plus those open at the period's end (received before it ends, not
  finished by then; withdrawn and not-received dossiers are left out), judged by the report's rule
  (:mod:`bot.officials.deadlines`): resolved late when it ended after its due moment; open at the end late when it
  was due before the period ended; more than one supplement request (``supplement_requests``) is late either way.
  A dossier without a due date cannot be late (``due_at`` is computed on import whenever the
  catalogue gives a processing time). Supplement waiting time is assumed already added to ``due_at`` by the
  platform (we hold no pause times): unconfirmed.

All moments are the stored ISO texts ``YYYY-MM-DDTHH:MM:SS+07:00``, so text comparison compares moments and
``substr(x, 1, 10)`` is the Vietnam day.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import sqlite_utils

from bot.catalogue.procedures import Procedure, fees_on
from bot.catalogue.repository import Catalogue
from bot.db import OPEN_SQL
from bot.metrics import REPORT_SECONDS
from bot.officials.deadlines import early, late, overdue_at

SOURCE_766 = "QĐ 766/QĐ-TTg (23/6/2022), ghi chú công thức của Cổng DVC quốc gia"
SOURCE_NQ01 = "NQ 01/NQ-CP (2026), phụ lục dòng 68–72"
NO_DATA = "chưa có dữ liệu"
UNCONFIRMED_POINTS = "điểm chưa xác nhận"
ENDED = ("done", "returned", "stopped")           # processing ended: processed, result returned, stopped/refused
WITH_RESULT = ("done", "returned")                # a result was issued
NOT_JUDGED = ("not_received", "withdrawn")        # never received, or withdrawn by the applicant: not in 2.1


def _quoted(values: Sequence[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


@dataclass(frozen=True)
class Spec:
    """What an indicator is: its code, name, formula, source, group, scoring facts and 2026 target."""

    code: str
    name: str
    formula: str
    group: str
    group_max: int
    threshold: Optional[float] = None     # full points at ≥ threshold (a fraction)
    max_points: Optional[float] = None    # the indicator's own maximum, when a source gives it
    target: Optional[float] = None        # Resolution 01/NQ-CP 2026
    source: str = SOURCE_766
    unconfirmed: str = ""                 # what is not confirmed about it


SPECS: Tuple[Spec, ...] = (
    Spec("2.1", "Giải quyết đúng hạn",
         "hồ sơ giải quyết trước/đúng hạn ÷ hồ sơ đã giải quyết trong kỳ và hồ sơ còn mở cuối kỳ (xét theo ngày cuối kỳ);"
         " yêu cầu bổ sung quá 1 lần tính là trễ hạn",
         "Tiến độ, kết quả giải quyết", 20, max_points=20,
         unconfirmed="ngưỡng đủ điểm chưa xác nhận, nên chưa tính điểm; thời gian chờ bổ sung coi như đã cộng vào hạn trả"),
    Spec("3.3", "Hồ sơ trực tuyến",
         "hồ sơ tiếp nhận trực tuyến ÷ hồ sơ tiếp nhận trong kỳ", "Cung cấp dịch vụ trực tuyến", 22, threshold=0.5,
         target=0.8, unconfirmed="điểm tối đa của chỉ số chưa xác nhận"),
    Spec("3.6", "Thanh toán trực tuyến",
         "hồ sơ thanh toán trực tuyến ÷ hồ sơ tiếp nhận trong kỳ của thủ tục có thu phí, lệ phí",
         "Cung cấp dịch vụ trực tuyến (thanh toán trực tuyến: 10 điểm trên Cổng)", 22, target=0.6,
         unconfirmed="ngưỡng và điểm chưa xác nhận; thủ tục có mức thu do HĐND tỉnh quy định được tính là có thu phí"),
    Spec("4.1", "Trả kết quả điện tử",
         "hồ sơ có kết quả bản điện tử (cột result_digitised) ÷ hồ sơ có kết quả trong kỳ", "Số hóa hồ sơ", 22,
         unconfirmed="mẫu số, ngưỡng và điểm chưa xác nhận; dùng cờ 'số hóa kết quả' thay cho 'kết quả điện tử'"),
    Spec("4.2", "Số hóa hồ sơ, kết quả",
         "hồ sơ có thành phần hồ sơ và kết quả đều số hóa ÷ hồ sơ có kết quả trong kỳ", "Số hóa hồ sơ", 22,
         threshold=0.8, target=0.9, unconfirmed="điểm tối đa của chỉ số và mẫu số chưa xác nhận"),
    Spec("5.4", "Hài lòng về giải quyết hồ sơ",
         "100% − (tỷ lệ trễ hạn + tỷ lệ hồ sơ bị phản ánh hoặc đánh giá 'không hài lòng')", "Mức độ hài lòng", 18,
         threshold=0.9, unconfirmed="điểm tối đa của chỉ số chưa xác nhận; chưa có đánh giá của người dân"),
)
SPEC = {s.code: s for s in SPECS}


@dataclass(frozen=True)
class Indicator:
    """One indicator's figures for a period: ``numerator`` of ``denominator`` (``None`` when there is no data)."""

    spec: Spec
    numerator: Optional[int]
    denominator: Optional[int]
    note: str = ""

    @property
    def rate(self) -> Optional[float]:
        """The rate (0..1), or None without data or with an empty denominator."""
        if self.numerator is None or not self.denominator:
            return None
        return self.numerator / self.denominator

    @property
    def share_of_max(self) -> Optional[float]:
        """rate ÷ threshold, at most 1: the share of the indicator's maximum it earns (needs the threshold)."""
        if self.rate is None or self.spec.threshold is None:
            return None
        return min(1.0, self.rate / self.spec.threshold)

    @property
    def points(self) -> Optional[float]:
        """rate × maximum ÷ threshold (at most the maximum), only when both facts are known."""
        share = self.share_of_max
        return None if share is None or self.spec.max_points is None else share * self.spec.max_points

    @property
    def gap(self) -> Optional[float]:
        """How far the rate is below the 2026 target (0 when it is met); None without a target or data."""
        if self.rate is None or self.spec.target is None:
            return None
        return max(0.0, self.spec.target - self.rate)

    def as_dict(self) -> Dict[str, Any]:
        """JSON-ready figures with the formula and what is unconfirmed."""
        s = self.spec
        return {
            "code": s.code, "name": s.name, "formula": s.formula, "source": s.source, "group": s.group,
            "group_max": s.group_max, "numerator": self.numerator, "denominator": self.denominator,
            "rate": _round(self.rate), "threshold": s.threshold, "max_points": s.max_points,
            "share_of_max": _round(self.share_of_max), "points": _round(self.points, 2),
            "points_confirmed": self.points is not None,
            "target": s.target, "target_source": SOURCE_NQ01 if s.target is not None else None, "gap": _round(self.gap),
            "note": self.note or (NO_DATA if self.numerator is None else ""), "unconfirmed": s.unconfirmed,
        }


def _round(value: Optional[float], digits: int = 4) -> Optional[float]:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class Ratings:
    """Citizens' ratings over the 2.1 population, once they exist: dossiers with a complaint or a 'not satisfied' rating."""

    complained_or_unsatisfied: int


@dataclass
class IndicatorReport:
    """The indicators of one period (``start``..``end`` inclusive days) and the counts behind them."""

    start: dt.date
    end: dt.date
    indicators: List[Indicator]
    counts: Dict[str, int] = field(default_factory=dict)
    fee_classes: Dict[str, List[str]] = field(default_factory=dict)

    def get(self, code: str) -> Indicator:
        """The indicator ``code`` ("2.1")."""
        return next(i for i in self.indicators if i.spec.code == code)

    def as_dict(self) -> Dict[str, Any]:
        """JSON-ready: period, indicators, counts, how procedures were classed for 3.6."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat(),
                "indicators": [i.as_dict() for i in self.indicators], "counts": dict(self.counts),
                "fee_classes": {k: sorted(v) for k, v in self.fee_classes.items()}}


# fee-bearing procedures (3.6) -----------------------------------------------------------------------------------
def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "D")
    return " ".join("".join(c for c in text if unicodedata.category(c) != "Mn").lower().split())


PROVINCE_SETS = re.compile(r"hoi dong nhan dan|hdnd")
NOT_KNOWN = re.compile(r"^chua xac (nhan|minh)")


def fee_class(procedure: Procedure, day: dt.date) -> str:
    """How 3.6 counts ``procedure`` on ``day``: ``charged`` (a rule in force charges a positive amount),
    ``province`` (a rule says the amount is set by the provincial People's Council: 0 or null in the catalogue
    does not mean free there; counted as fee-bearing, unconfirmed), ``free`` (every rule in force is 0), or
    ``unknown`` (no rule, or the catalogue says it is not confirmed: left out of 3.6)."""
    rules = fees_on(procedure, day)
    if any(f.amount is not None and f.amount > 0 for f in rules):
        return "charged"
    if any(f.amount in (None, 0) and PROVINCE_SETS.search(_fold(f.text)) and not NOT_KNOWN.search(_fold(f.text)) for f in rules):
        return "province"
    if rules and all(f.amount == 0 for f in rules):
        return "free"
    return "unknown"


def fee_classes(catalogue: Catalogue, day: dt.date) -> Dict[str, List[str]]:
    """Procedure ids of the catalogue by :func:`fee_class` on ``day``."""
    classes: Dict[str, List[str]] = {"charged": [], "province": [], "free": [], "unknown": []}
    for procedure_id in catalogue.ids():
        procedure = catalogue.procedure(procedure_id)
        if procedure is not None:
            classes[fee_class(procedure, day)].append(procedure_id)
    return classes


# the period's figures, in SQL ---------------------------------------------------------------------------------------
def _bounds(start: dt.date, end: dt.date) -> Tuple[str, str]:
    """[start 00:00, the day after end 00:00) as stored texts."""
    return f"{start.isoformat()}T00:00:00+07:00", f"{(end + dt.timedelta(days=1)).isoformat()}T00:00:00+07:00"


def _received(db: sqlite_utils.Database, lo: str, hi: str, fee_bearing: Sequence[str], decided: Sequence[str]) -> Dict[str, int]:
    """Received in [lo, hi): online, of fee-bearing procedures, paid online, and of procedures not ``decided``
    (no procedure, one outside the catalogue, or one whose fee is unknown)."""
    fee_marks = ", ".join("?" for _ in fee_bearing) or "null"
    decided_marks = ", ".join("?" for _ in decided) or "null"
    sql = (
        "select count(*), coalesce(sum(submission_channel = 'online'), 0),"
        f" coalesce(sum(procedure_id in ({fee_marks})), 0),"
        f" coalesce(sum(procedure_id in ({fee_marks}) and paid_online = 1), 0),"
        f" coalesce(sum(procedure_id is null or procedure_id not in ({decided_marks})), 0)"
        " from dossiers indexed by dossiers_received where received_at >= ? and received_at < ? and status != 'not_received'"
    )
    row = db.execute(sql, [*fee_bearing, *fee_bearing, *decided, lo, hi]).fetchone()
    return dict(zip(("received", "online", "fee_bearing", "paid_online", "fee_unknown"), row))


LATE_SUPPLEMENTS = "coalesce(supplement_requests, 0) > 1"


def _resolved(db: sqlite_utils.Database, lo: str, hi: str) -> Dict[str, int]:
    is_late = f"({LATE_SUPPLEMENTS} or {late('finished_at')})"
    sql = (
        f"select count(*), coalesce(sum({is_late}), 0),"
        f" coalesce(sum(not {is_late} and {early('finished_at')}), 0),"
        f" coalesce(sum({LATE_SUPPLEMENTS}), 0),"
        f" coalesce(sum(status in {_quoted(WITH_RESULT)}), 0),"
        f" coalesce(sum(status in {_quoted(WITH_RESULT)} and result_digitised = 1), 0),"
        f" coalesce(sum(status in {_quoted(WITH_RESULT)} and result_digitised = 1 and dossier_digitised = 1), 0)"
        f" from dossiers indexed by dossiers_finished where finished_at >= ? and finished_at < ? and status in {_quoted(ENDED)}"
    )
    row = db.execute(sql, [lo, hi]).fetchone()
    return dict(zip(("resolved", "resolved_late", "resolved_early", "late_by_supplements", "with_result",
                     "result_electronic", "digitised"), row))


def _open_at_end(db: sqlite_utils.Database, hi: str) -> Dict[str, int]:
    """Dossiers open when the period ended (the moment ``hi``): finished after it and received before it (the
    (finished_at, received_at) index: no row is read for the many finished later), or still open now (the open
    partial index)."""
    is_late = f"({LATE_SUPPLEMENTS} or {overdue_at('?')})"
    finished_later = db.execute(
        f"select count(*), coalesce(sum({is_late}), 0) from dossiers indexed by dossiers_finished_received"
        f" where finished_at >= ? and received_at < ? and status not in {_quoted(NOT_JUDGED)}", [hi, hi, hi]).fetchone()
    still_open = db.execute(
        f"select count(*), coalesce(sum({is_late}), 0) from dossiers indexed by dossiers_open_due"
        f" where {OPEN_SQL} and finished_at is null and received_at < ?", [hi, hi]).fetchone()
    return {"open_at_end": finished_later[0] + still_open[0], "open_late": finished_later[1] + still_open[1]}


def compute(db: sqlite_utils.Database, catalogue: Catalogue, start: dt.date, end: dt.date, *,
            ratings: Optional[Ratings] = None, classes: Optional[Dict[str, List[str]]] = None) -> IndicatorReport:
    """The indicators for the days ``start``..``end`` (inclusive). ``ratings``: citizens' ratings when they exist
    (until then 5.4 says "chưa có dữ liệu"). ``classes``: :func:`fee_classes`, when the caller has them already."""
    if end < start:
        raise ValueError("end before start")
    lo, hi = _bounds(start, end)
    classes = classes if classes is not None else fee_classes(catalogue, end)
    fee_bearing = classes["charged"] + classes["province"]
    counts: Dict[str, int] = {}
    counts.update(_received(db, lo, hi, fee_bearing, fee_bearing + classes["free"]))
    counts.update(_resolved(db, lo, hi))
    counts.update(_open_at_end(db, hi))
    judged = counts["resolved"] + counts["open_at_end"]
    late = counts["resolved_late"] + counts["open_late"]
    counts.update(judged=judged, late=late)
    if ratings is None:
        satisfaction = Indicator(SPEC["5.4"], None, None, NO_DATA)
    else:
        satisfaction = Indicator(SPEC["5.4"], max(0, judged - late - ratings.complained_or_unsatisfied), judged)
    indicators = [
        Indicator(SPEC["2.1"], judged - late, judged),
        Indicator(SPEC["3.3"], counts["online"], counts["received"]),
        Indicator(SPEC["3.6"], counts["paid_online"], counts["fee_bearing"]),
        Indicator(SPEC["4.1"], counts["result_electronic"], counts["with_result"]),
        Indicator(SPEC["4.2"], counts["digitised"], counts["with_result"]),
        satisfaction,
    ]
    return IndicatorReport(start, end, indicators, counts, classes)


def month_range(day: dt.date) -> Tuple[dt.date, dt.date]:
    """The first and last day of ``day``'s month."""
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def monthly_trend(db: sqlite_utils.Database, catalogue: Catalogue, last: dt.date, months: int = 12) -> List[IndicatorReport]:
    """The indicators of each calendar month, the ``months`` months up to ``last``'s month (that month cut at ``last``)."""
    firsts: List[dt.date] = []
    first = last.replace(day=1)
    for _ in range(max(1, months)):
        firsts.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    classes = fee_classes(catalogue, last)
    return [compute(db, catalogue, f, min(month_range(f)[1], last), classes=classes) for f in reversed(firsts)]


# how people read it -------------------------------------------------------------------------------------------------
def percent(value: Optional[float]) -> str:
    """``0.923 -> "92,3%"`` (Vietnamese decimal comma)."""
    if value is None:
        return "–"
    return f"{value * 100:.1f}".replace(".", ",") + "%"


def _points_line(i: Indicator) -> str:
    s = i.spec
    if i.points is not None:
        return f"   {i.points:.1f}".replace(".", ",") + f"/{s.max_points:g} điểm (đủ điểm từ {percent(s.threshold)})"
    if i.share_of_max is not None:
        return f"   Đạt {percent(i.share_of_max)} điểm tối đa của chỉ số (đủ điểm từ {percent(s.threshold)}); {UNCONFIRMED_POINTS}"
    maximum = f" (tối đa {s.max_points:g})" if s.max_points else ""
    return f"   {UNCONFIRMED_POINTS.capitalize()}{maximum}"


def indicators_text(report: IndicatorReport) -> str:
    """The indicators as an official reads them on a phone (Vietnamese, a few lines each)."""
    lines = [f"📊 Chỉ số phục vụ (QĐ 766/QĐ-TTg) {report.start:%d/%m/%Y} – {report.end:%d/%m/%Y}"]
    for i in report.indicators:
        s = i.spec
        if i.numerator is None:
            lines.append(f"{s.code} {s.name}: {NO_DATA}")
            continue
        if not i.denominator:
            lines.append(f"{s.code} {s.name}: không có hồ sơ trong kỳ")
            continue
        lines.append(f"{s.code} {s.name}: {percent(i.rate)} ({i.numerator}/{i.denominator})")
        lines.append(_points_line(i))
        if s.target is not None:
            gap = "đã đạt" if not i.gap else f"còn thiếu {percent(i.gap)}"
            lines.append(f"   Mục tiêu 2026: {percent(s.target)} – {gap}")
    unknown = report.counts.get("fee_unknown") or 0
    if unknown:
        lines.append(f"(3.6 không tính {unknown} hồ sơ chưa rõ thủ tục có thu phí hay không)")
    lines.append("Công thức và nguồn: docs/indicators.md")
    return "\n".join(lines)


def trend_png(trend: Sequence[IndicatorReport], codes: Sequence[str] = ("2.1", "3.3", "3.6", "4.1", "4.2")) -> bytes:
    """A line chart of each indicator's monthly rate (PNG bytes; matplotlib's Agg backend, no display needed)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.add_subplot()
    labels = [f"{r.start:%m/%Y}" for r in trend]
    for code in codes:
        values = [r.get(code).rate for r in trend]
        points = [(x, v * 100) for x, v in enumerate(values) if v is not None]
        if points:
            axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=f"{code} {SPEC[code].name}")
    axes.set_xticks(range(len(labels)))
    axes.set_xticklabels(labels, rotation=45, ha="right", fontsize=8)
    axes.set_ylim(0, 105)
    axes.set_ylabel("%")
    axes.set_title("Chỉ số phục vụ theo tháng (QĐ 766/QĐ-TTg)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower left")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


@REPORT_SECONDS.labels("indicators").time()
def chat_indicators(db: sqlite_utils.Database, catalogue: Catalogue, today: dt.date, *, start: Optional[dt.date] = None,
                    end: Optional[dt.date] = None, chart: bool = True) -> Tuple[str, Optional[bytes]]:
    """What /chiso answers: the text of ``start``..``end`` (default: this month up to yesterday, or the last month on
    its 1st) and the 12-month trend chart as PNG bytes (None with ``chart=False``)."""
    if end is None:
        end = today - dt.timedelta(days=1)
    if start is None:
        start = end.replace(day=1)
    from bot.officials.satisfaction import ratings_for  # it imports this module

    text = indicators_text(compute(db, catalogue, start, end, ratings=ratings_for(db, start, end)))
    return text, trend_png(monthly_trend(db, catalogue, end)) if chart else None
