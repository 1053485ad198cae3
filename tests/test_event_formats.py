"""Event arguments (BRAT E lines), DATE values (AnnotatorNotes) and article dates in the readers and writers."""

from __future__ import annotations

import json

import pytest

from conftest import SAMPLE_DIR
from arabic_ie.data.documents import Argument, Event, Span
from arabic_ie.data.formats import FormatError, read_brat, read_jsonl, write_brat, write_jsonl

CONF = """[entities]
PER
ORG
LOC
DATE
[events]
ATTACK\tAgent*:PER|ORG, Target*:PER|ORG|LOC, Place*:LOC, Time*:DATE
MEET\tAgent*:PER|ORG, Place*:LOC, Time*:DATE
"""
TEXT = "قصفت قوات النظام طفس الثلاثاء واجتمع سامر مع أحمد في درعا.\n"
# قصفت [0,4) قوات النظام [5,16) طفس [17,20) الثلاثاء [21,29) اجتمع [31,36) سامر [37,41) أحمد [45,49) درعا [53,57)
ANN = (
    "T1\tATTACK 0 4\tقصفت\n"
    "T2\tORG 5 16\tقوات النظام\n"
    "T3\tLOC 17 20\tطفس\n"
    "T4\tDATE 21 29\tالثلاثاء\n"
    "T5\tMEET 31 36\tاجتمع\n"
    "T6\tPER 37 41\tسامر\n"
    "T7\tPER 45 49\tأحمد\n"
    "T8\tLOC 53 57\tدرعا\n"
    "E1\tATTACK:T1 Agent:T2 Target:T3 Time:T4\n"
    "E2\tMEET:T5 Agent:T6 Agent2:T7 Place:T8\n"
    "#1\tAnnotatorNotes T4\t2022-03-08\n"
)
ANN_T = "".join(line + "\n" for line in ANN.splitlines()[:8])  # the T lines only
ATTACK = Event(Span(0, 4, "ATTACK"), (Argument("Agent", Span(5, 16, "ORG")), Argument("Target", Span(17, 20, "LOC")),
                                      Argument("Time", Span(21, 29, "DATE"))))
MEET = Event(Span(31, 36, "MEET"), (Argument("Agent", Span(37, 41, "PER")), Argument("Agent", Span(45, 49, "PER")),
                                    Argument("Place", Span(53, 57, "LOC"))))


def folder_with(tmp_path, ann, dates="name\tdate\na\t2022-03-09\n"):
    folder = tmp_path / "brat"
    folder.mkdir(exist_ok=True)
    (folder / "annotation.conf").write_text(CONF, encoding="utf-8")
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "a.ann").write_text(ann, encoding="utf-8")
    if dates is not None:
        (folder / "article_dates.tsv").write_text(dates, encoding="utf-8")
    return folder


def test_brat_events_values_and_dates_are_read(tmp_path):
    (document,), report = read_brat(folder_with(tmp_path, ANN))
    assert document.events == [ATTACK, MEET]  # Agent2 is a second Agent
    assert document.values == {Span(21, 29, "DATE"): "2022-03-08"}
    assert document.metadata == {"date": "2022-03-09"}
    assert report.summary() == "nothing repaired or skipped"


def test_brat_and_jsonl_round_trip_events(tmp_path):
    documents, _ = read_brat(folder_with(tmp_path, ANN))
    out = tmp_path / "out"
    write_brat(documents, out)
    ann = (out / "a.ann").read_text(encoding="utf-8")
    # entities first, then triggers, then E lines with numbered repeated roles, then notes
    assert ann.endswith("E1\tATTACK:T7 Agent:T1 Target:T2 Time:T3\nE2\tMEET:T8 Agent:T4 Agent2:T5 Place:T6\n"
                        "#1\tAnnotatorNotes T3\t2022-03-08\n")
    assert (out / "article_dates.tsv").read_text(encoding="utf-8") == "name\tdate\na\t2022-03-09\n"
    assert "ATTACK\tAgent*:ORG, Target*:LOC, Time*:DATE" in (out / "annotation.conf").read_text(encoding="utf-8")
    again, report = read_brat(out)
    assert again == documents and report.summary() == "nothing repaired or skipped"

    write_jsonl(documents, tmp_path / "a.jsonl")
    record = json.loads((tmp_path / "a.jsonl").read_text(encoding="utf-8"))
    assert record["date"] == "2022-03-09"
    assert record["entities"][2] == {"start": 21, "end": 29, "label": "DATE", "value": "2022-03-08"}
    assert record["events"][1] == {"type": "MEET", "trigger": {"start": 31, "end": 36, "label": "MEET"}, "arguments": [
        {"role": "Agent", "start": 37, "end": 41, "label": "PER"}, {"role": "Agent", "start": 45, "end": 49, "label": "PER"},
        {"role": "Place", "start": 53, "end": 57, "label": "LOC"}]}
    from_jsonl, _ = read_jsonl(tmp_path / "a.jsonl")
    assert from_jsonl == documents


@pytest.mark.parametrize("line, message", [
    ("E3\tATTACK:T1 Agent:T99", r"a\.ann:9: Agent refers to unknown annotation 'T99'"),
    ("E3\tATTACK:T42 Agent:T2", r"a\.ann:9: event refers to unknown trigger 'T42'"),
    ("E3\tMEET:T5 Target:T3", r"a\.ann:9: role 'Target' is not allowed for MEET; allowed: \['Agent', 'Place', 'Time'\]"),
    ("E3\tATTACK:T1 Place:T6", r"a\.ann:9: Place of ATTACK cannot be a PER \(allowed: \['LOC'\]\)"),
    ("E3\tATTACK:T1 Agent:T5", r"a\.ann:9: Agent filler MEET \[31, 36\) is not an entity span"),
    ("E3\tATTACK:T1 Agent", r"a\.ann:9: malformed event line"),
    ("E1\tATTACK:T1 Agent:T2\nE3\tATTACK:T1 Place:T8", r"a\.ann:10: trigger ATTACK \[0, 4\) has more than one event"),
    ("#2\tAnnotatorNotes T77\t2022-01-01", r"a\.ann:9: note refers to unknown annotation 'T77'"),
])
def test_bad_event_lines_are_rejected_with_their_line(tmp_path, line, message):
    with pytest.raises(FormatError, match=message):
        read_brat(folder_with(tmp_path, ANN_T + line + "\n"))


def test_bad_article_dates_and_jsonl_events_are_rejected(tmp_path):
    with pytest.raises(FormatError, match=r"article_dates\.tsv:2: expected 'NAME<TAB>YYYY-MM-DD'"):
        read_brat(folder_with(tmp_path, ANN, dates="name\tdate\na\t9 March 2022\n"))
    with pytest.raises(FormatError, match=r"article_dates\.tsv:2: expected 'NAME<TAB>YYYY-MM-DD'"):
        read_brat(folder_with(tmp_path, ANN, dates="name\tdate\na\t2022-02-30\n"))  # not a calendar day
    dated = tmp_path / "dated.jsonl"
    dated.write_text(json.dumps({"id": "y", "text": TEXT}) + "\n" + json.dumps({"id": "z", "text": TEXT, "date": "2022-13-01"}) + "\n",
                     encoding="utf-8")
    with pytest.raises(FormatError, match=r"dated\.jsonl:2: 'date' is not a calendar day: '2022-13-01'"):
        read_jsonl(dated)
    path = tmp_path / "bad.jsonl"
    record = {"id": "x", "text": TEXT, "entities": [{"start": 5, "end": 16, "label": "ORG"}],
              "triggers": [{"start": 0, "end": 4, "label": "ATTACK"}],
              "events": [{"trigger": {"start": 0, "end": 4, "label": "ATTACK"}, "arguments": [{"role": "Agent", "start": 17, "end": 20, "label": "LOC"}]}]}
    path.write_text("\n" + json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad\.jsonl:2: document 'x': Agent filler LOC \[17, 20\) is not an entity span"):
        read_jsonl(path)


def test_a_note_that_is_not_a_date_value_is_counted_as_skipped(tmp_path):
    (document,), report = read_brat(folder_with(tmp_path, ANN + "#2\tAnnotatorNotes T2\tthe army\n"))
    assert document.values == {Span(21, 29, "DATE"): "2022-03-08"}
    assert dict(report.skipped) == {"BRAT note that is not an ISO value of a DATE span": 1}
    assert report.examples["BRAT note that is not an ISO value of a DATE span"] == ["a.ann:12"]


def test_sample_events_and_values_are_all_read():
    counts = {}
    for split in ("train", "dev", "test"):
        documents, report = read_brat(SAMPLE_DIR / split)
        assert report.summary() == "nothing repaired or skipped", split
        assert all(d.metadata.get("date") for d in documents), split
        counts[split] = (sum(len(d.events) for d in documents), sum(len(e.arguments) for d in documents for e in d.events),
                         sum(len(d.values) for d in documents))
    assert counts == {"train": (627, 1389, 248), "dev": (73, 121, 23), "test": (65, 135, 25)}
