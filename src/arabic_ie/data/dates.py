"""Calendar values of DATE spans: ISO 8601 day, month or year, resolved against the article's date.

dateparser parses what it handles in Arabic (Egyptian month names يناير … ديسمبر, digits, اليوم،
أمس، غدا، الشهر الماضي). Written here by hand: the Levantine month table (كانون الثاني … كانون
الأول), ordinal day words (الثاني من نيسان), the annotators' rules for a month without a year (with
الماضي: the latest such month or day before the article date; with الجاري: the article's month;
bare: the article's year; الشهر الجاري/المقبل: this or next month) and the relative-weekday rule: the latest such weekday on or before the
article date, unless marked as future (المقبل/القادم after it, a future verb سـ/سوف earlier in its
clause, or a deadline حتى/قبل just before it), then the first one after.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

LEVANTINE = {"كانون الثاني": 1, "شباط": 2, "آذار": 3, "نيسان": 4, "أيار": 5, "حزيران": 6, "تموز": 7, "آب": 8,
             "أيلول": 9, "تشرين الأول": 10, "تشرين الثاني": 11, "كانون الأول": 12}
EGYPTIAN = {"يناير": 1, "فبراير": 2, "مارس": 3, "أبريل": 4, "إبريل": 4, "مايو": 5, "يونيو": 6, "يوليو": 7,
            "أغسطس": 8, "سبتمبر": 9, "أكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12}
EGYPTIAN_NAME = {number: name for name, number in reversed(list(EGYPTIAN.items()))}
# Python's weekday(): Monday is 0
WEEKDAYS = {"الاثنين": 0, "الإثنين": 0, "الثلاثاء": 1, "الأربعاء": 2, "الاربعاء": 2, "الخميس": 3, "الجمعة": 4,
            "السبت": 5, "الأحد": 6, "الاحد": 6}
ORDINALS = {"الأول": 1, "الثاني": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5, "السادس": 6, "السابع": 7, "الثامن": 8,
            "التاسع": 9, "العاشر": 10, "الحادي عشر": 11, "الثاني عشر": 12, "الثالث عشر": 13, "الرابع عشر": 14,
            "الخامس عشر": 15, "السادس عشر": 16, "السابع عشر": 17, "الثامن عشر": 18, "التاسع عشر": 19, "العشرين": 20}
PAST, CURRENT, FUTURE = ("الماضي", "الماضية", "المنصرم", "المنصرمة"), ("الجاري", "الحالي"), ("المقبل", "المقبلة", "القادم", "القادمة")
DIACRITICS = re.compile("[\u064b-\u0652\u0640]")
CLAUSE_END = re.compile(r"[،,.؛;:!?؟\n]")
# a future verb: سوف, or سـ + an imperfect prefix (سيعقد، ستبدأ، سنواصل); nouns and past verbs that
# look like one are excluded
FUTURE_VERB = re.compile(r"^(و|ف)?(سوف|س[يتنأ]\w{2,})$")
NOT_FUTURE = re.compile(r"^(و|ف)?(سيطر|سيار|سياس|سيد|سين|ست(ة|ين|ون)|سن(ة|وات|ين|وي)|ستار|سيول|سيف)")
DEADLINE = ("حتى", "قبل")
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def article_date_problem(value) -> str | None:
    """Why `value` is not an article date (a YYYY-MM-DD string of a real day), or None when it is."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return f"must be YYYY-MM-DD, got {value!r}"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"is not a calendar day: {value!r}"
    return None


def _clean(text: str) -> str:
    return " ".join(DIACRITICS.sub("", text).translate(ARABIC_DIGITS).split())


@lru_cache(maxsize=256)
def _parser(base: dt.date):
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["ar"], settings={"RELATIVE_BASE": dt.datetime(base.year, base.month, base.day),
                                                      "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": []})


def _dateparser(text: str, base: dt.date) -> tuple[dt.date, str] | None:
    data = _parser(base).get_date_data(text)
    if data is None or data.date_obj is None:
        return None
    return data.date_obj.date(), data.period


def _iso(day: dt.date, period: str) -> str:
    return {"year": f"{day.year:04d}", "month": f"{day.year:04d}-{day.month:02d}"}.get(period, day.isoformat())


def _future_context(before: str, after: str) -> bool:
    if after.split()[:1] and after.split()[0] in FUTURE:
        return True
    clause = CLAUSE_END.split(before)[-1].split()
    if clause and clause[-1] in DEADLINE:
        return True
    return any(FUTURE_VERB.match(word) and not NOT_FUTURE.match(word) for word in clause[-10:])


def _month(text: str) -> tuple[int, str] | None:
    for table in (LEVANTINE, EGYPTIAN):
        for name in sorted(table, key=len, reverse=True):
            if re.search(rf"(^|\s){name}($|\s)", text):
                return table[name], name
    return None


def normalize_date(text: str, article_date: str | dt.date | None, before: str = "", after: str = "") -> str | None:
    """The ISO value of a DATE expression, or None where the text does not allow one. `before`
    and `after` are the article text around the span (for future markers outside it)."""
    text = _clean(text)
    base = dt.date.fromisoformat(article_date) if isinstance(article_date, str) else article_date
    words = text.split()
    weekday = next((WEEKDAYS[w] for w in words if w in WEEKDAYS), None)
    if weekday is not None and _month(text) is None and not re.search(r"\d", text):
        if base is None:
            return None
        if any(w in FUTURE for w in words) or (not any(w in PAST for w in words) and _future_context(_clean(before), _clean(after))):
            return (base + dt.timedelta(days=(weekday - base.weekday() - 1) % 7 + 1)).isoformat()
        return (base - dt.timedelta(days=(base.weekday() - weekday) % 7)).isoformat()
    month = _month(text)
    if month is None:
        if base is None or re.search(r"\d{4}", text) is None and not words:
            return None
        if text in ("أول أمس", "أول من أمس"):
            return (base - dt.timedelta(days=2)).isoformat()
        if re.fullmatch(r"(العام|السنة) (الماضي|الماضية)", text):
            return f"{base.year - 1:04d}"
        if re.fullmatch(r"(العام|السنة) (الجاري|الحالي|الحالية)", text):
            return f"{base.year:04d}"
        if re.fullmatch(r"الشهر (الجاري|الحالي)", text):
            return f"{base.year:04d}-{base.month:02d}"
        if re.fullmatch(r"الشهر (المقبل|القادم)", text):
            following = dt.date(base.year + base.month // 12, base.month % 12 + 1, 1)
            return f"{following.year:04d}-{following.month:02d}"
        parsed = _dateparser(text, base)
        return _iso(*parsed) if parsed else None
    number, name = month
    rest = text.replace(name, " ").split()
    year = next((int(w) for w in rest if re.fullmatch(r"\d{4}", w)), None)
    day = next((int(w) for w in rest if re.fullmatch(r"\d{1,2}", w)), None)
    if day is None:
        joined = " ".join(rest)
        day = next((ORDINALS[o] for o in sorted(ORDINALS, key=len, reverse=True) if re.search(rf"(^|\s){o}($|\s)", joined)), None)
    if year is None:
        if base is None:
            return None
        year = base.year
        if any(w in PAST for w in rest) and (number, day or 0) >= (base.month, base.day if day else 1):
            year -= 1  # the latest such month (or day) before the article date
    # dateparser reads the Egyptian month name, the day and the year (and checks the day exists)
    parsed = _dateparser(f"{day} {EGYPTIAN_NAME[number]} {year}" if day else f"{EGYPTIAN_NAME[number]} {year}", base or dt.date(year, 1, 1))
    if parsed is None:
        return None
    return _iso(parsed[0], "day" if day else "month")


def document_dates(document, article_date: str | None = None, spans=None) -> dict:
    """{DATE span: ISO value} for the DATE spans of `document` (or the given spans) that resolve,
    against `article_date` or else the document's metadata date."""
    article_date = article_date or document.metadata.get("date")
    values = {}
    for span in (spans if spans is not None else document.entities):
        if span.label != "DATE":
            continue
        value = normalize_date(span.text_in(document.text), article_date,
                               document.text[max(0, span.start - 200):span.start], document.text[span.end:span.end + 40])
        if value is not None:
            values[span] = value
    return values


def date_accuracy(documents) -> dict:
    """Accuracy of `document_dates` over the gold DATE spans that carry an annotated value."""
    correct = total = 0
    errors = []
    for document in documents:
        predicted = document_dates(document, spans=list(document.values))
        for span, gold in document.values.items():
            total += 1
            if predicted.get(span) == gold:
                correct += 1
            elif len(errors) < 20:
                errors.append({"document": document.id, "text": span.text_in(document.text), "gold": gold, "predicted": predicted.get(span)})
    return {"accuracy": correct / total if total else 0.0, "correct": correct, "total": total, "errors": errors}
