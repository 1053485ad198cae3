"""DATE normalisation: absolute (Levantine and Egyptian months), relative words and weekdays."""

from __future__ import annotations

import pytest

from conftest import SAMPLE_DIR
from arabic_ie.data.dates import date_accuracy, document_dates, normalize_date
from arabic_ie.data.documents import Document, Span
from arabic_ie.data.formats import read_brat

ARTICLE = "2022-03-09"  # a Wednesday


@pytest.mark.parametrize("text, before, after, value", [
    ("الإثنين", "", "", "2022-03-07"),            # latest Monday on or before
    ("الأربعاء", "", "", "2022-03-09"),           # the article's own weekday: that day
    ("الجمعة", "قال إن الوفد سيعقد اجتماعا مع الوجهاء ", "", "2022-03-11"),  # future verb in the clause
    ("الجمعة", "قالت، ", "", "2022-03-04"),         # no marker: past
    ("الجمعة", "مفاوضات جديدة قبل ", "", "2022-03-11"),  # deadline
    ("الأحد", "سيطرت القوات على البلدة ", "", "2022-03-06"),  # سيطرت is a past verb, not سـ + verb
    ("الأحد المقبل", "", "", "2022-03-13"),
    ("السبت", "", " المقبل", "2022-03-12"),
    ("الخميس الماضي", "سيعقد ", "", "2022-03-03"),
    ("أمس", "", "", "2022-03-08"),
    ("أول أمس", "", "", "2022-03-07"),
    ("اليوم", "", "", "2022-03-09"),
    ("الشهر الماضي", "", "", "2022-02"),
    ("العام الماضي", "", "", "2021"),
    ("الشهر الجاري", "", "", "2022-03"),
    ("الشهر المقبل", "", "", "2022-04"),
    ("3 من آذار", "", "", "2022-03-03"),
    ("12 من حزيران الماضي", "", "", "2021-06-12"),   # June is after March: last year
    ("5 من آذار الماضي", "", "", "2022-03-05"),      # before the article's day: this March
    ("كانون الثاني الماضي", "", "", "2022-01"),
    ("كانون الأول الماضي", "", "", "2021-12"),
    ("تشرين الثاني 2021", "", "", "2021-11"),
    ("أيار 2022", "", "", "2022-05"),
    ("الثاني من نيسان", "", "", "2022-04-02"),
    ("15 يناير 2020", "", "", "2020-01-15"),
    ("سبتمبر الماضي", "", "", "2021-09"),
    ("٣ مارس ٢٠٢١", "", "", "2021-03-03"),
    ("31 من شباط 2022", "", "", None),              # no such day
    ("فترة طويلة", "", "", None),
])
def test_normalize_date(text, before, after, value):
    assert normalize_date(text, ARTICLE, before, after) == value


def test_without_an_article_date_only_absolute_dates_resolve():
    assert normalize_date("الثلاثاء", None) is None
    assert normalize_date("آذار 2011", None) == "2011-03"
    assert normalize_date("18 من آذار 2011", None) == "2011-03-18"


def test_document_dates_use_the_metadata_date_or_the_argument():
    document = Document("d", "قصف الثلاثاء درعا", entities=[Span(4, 12, "DATE"), Span(13, 17, "LOC")], metadata={"date": ARTICLE})
    assert document_dates(document) == {Span(4, 12, "DATE"): "2022-03-08"}
    assert document_dates(document, "2022-03-20") == {Span(4, 12, "DATE"): "2022-03-15"}


def test_sample_date_accuracy_is_at_least_090():
    for split in ("train", "dev", "test"):
        documents, _ = read_brat(SAMPLE_DIR / split)
        result = date_accuracy(documents)
        assert result["total"] == {"train": 248, "dev": 23, "test": 25}[split]
        assert result["accuracy"] >= 0.90, (split, result["errors"])
