"""Readers and writers: BRAT standoff, CoNLL columns, JSONL, and the shipped sample data."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from conftest import SAMPLE_DIR, SMALL_CONF
from arabic_ie.data.documents import Argument, Document, Event, Span
from arabic_ie.data.formats import (
    FormatError,
    read_annotation_conf,
    read_brat,
    read_conll,
    read_documents,
    read_jsonl,
    write_brat,
    write_jsonl,
)

# ---------------------------------------------------------------------------------------------
# BRAT: a valid folder
# ---------------------------------------------------------------------------------------------

TEXT_A = "اغتيال سامر الحريري في درعا\nوقصفت القوات نوى.\n"
# Offsets: اغتيال [0,6) سامر الحريري [7,19) درعا [23,27) قصفت [29,33) (after و) نوى [41,44)
ANN_A = (
    "T1\tKILL 0 6\tاغتيال\n"
    "T2\tPER 7 19\tسامر الحريري\n"
    "T3\tLOC 23 27\tدرعا\n"
    "E1\tKILL:T1 Target:T2 Place:T3\n"
    "T4\tATTACK 29 33\tقصفت\n"
    "T5\tLOC 41 44\tنوى\n"
    "E2\tATTACK:T4\n"
    "R1\tLocated Arg1:T2 Arg2:T3\n"
    "A1\tNegated E2\n"
    "#1\tAnnotatorNotes T1\ta note\n"
)


def valid_files():
    return {"a.txt": TEXT_A, "a.ann": ANN_A, "b.txt": "لا شيء هنا\n", "b.ann": ""}


def test_brat_valid_folder_splits_entities_and_triggers_by_conf(brat_folder):
    folder = brat_folder(valid_files())
    documents, report = read_brat(folder)

    assert [d.id for d in documents] == ["a", "b"]
    a, b = documents
    assert a.text == TEXT_A
    assert a.entities == [Span(7, 19, "PER"), Span(23, 27, "LOC"), Span(41, 44, "LOC")]
    assert a.triggers == [Span(0, 6, "KILL"), Span(29, 33, "ATTACK")]
    assert [s.text_in(a.text) for s in a.entities] == ["سامر الحريري", "درعا", "نوى"]
    assert a.words is None
    assert b == Document(id="b", text="لا شيء هنا\n")

    assert a.events == [Event(Span(0, 6, "KILL"), (Argument("Target", Span(7, 19, "PER")), Argument("Place", Span(23, 27, "LOC"))))]
    # R and A lines are not modelled, nor a note that is not a DATE value: counted as skipped, with their places
    note = "BRAT note that is not an ISO value of a DATE span"
    assert report.repaired == Counter()
    assert report.skipped == Counter({"BRAT R line": 1, "BRAT A line": 1, note: 1})
    assert report.examples == {"BRAT R line": ["a.ann:8"], "BRAT A line": ["a.ann:9"], note: ["a.ann:10"]}
    assert report.to_dict() == {"repaired": {}, "skipped": {"BRAT R line": 1, "BRAT A line": 1, note: 1}}


def test_brat_conf_found_in_parent_folder_and_explicit_conf(tmp_path, brat_folder):
    (tmp_path / "annotation.conf").write_text(SMALL_CONF, encoding="utf-8")
    folder = brat_folder(valid_files(), conf=None, name="nested")
    documents, _ = read_brat(folder)
    assert documents[0].triggers == [Span(0, 6, "KILL"), Span(29, 33, "ATTACK")]

    # an explicit conf that calls KILL an entity type moves the span to the entities
    other = tmp_path / "other.conf"
    other.write_text("[entities]\nPER\nLOC\nKILL\n[events]\nATTACK\n", encoding="utf-8")
    # E1 gives KILL:T1 arguments, but T1 is now an entity, not a trigger: rejected with its line
    with pytest.raises(FormatError, match=r"a\.ann:4: event trigger KILL \[0, 6\) is not a trigger span"):
        read_brat(folder, conf=other)
    (folder / "a.ann").write_text(ANN_A.replace(" Target:T2 Place:T3", ""), encoding="utf-8")
    documents, _ = read_brat(folder, conf=other)
    assert documents[0].entities == [Span(0, 6, "KILL"), Span(7, 19, "PER"), Span(23, 27, "LOC"), Span(41, 44, "LOC")]
    assert documents[0].triggers == [Span(29, 33, "ATTACK")]


def test_brat_entity_and_trigger_may_overlap(brat_folder):
    # هجوم درعا: an ATTACK trigger over the whole phrase and a LOC inside it (different tasks)
    folder = brat_folder({"a.txt": "هجوم درعا", "a.ann": "T1\tATTACK 0 9\tهجوم درعا\nT2\tLOC 5 9\tدرعا\n"})
    (document,), report = read_brat(folder)
    assert document.entities == [Span(5, 9, "LOC")]
    assert document.triggers == [Span(0, 9, "ATTACK")]
    assert report.summary() == "nothing repaired or skipped"


def test_read_annotation_conf_sections_and_abstract_types(tmp_path):
    conf = tmp_path / "annotation.conf"
    conf.write_text("[entities]\n!Abstract\nPER\tcomment\n\n[events]\nATTACK\tTarget:PER\n", encoding="utf-8")
    assert read_annotation_conf(conf) == (["PER"], ["ATTACK"])


@pytest.mark.parametrize(
    "conf, fragment",
    [
        ("PER\n[entities]\nLOC\n", ":1: type 'PER' before any [section] header"),
        ("[relations]\nLocated\n", ": no types under [entities] or [events]"),
        ("[entities]\nPER\n[events]\nPER\n", ": types listed both as entities and events: ['PER']"),
    ],
)
def test_read_annotation_conf_errors(tmp_path, conf, fragment):
    path = tmp_path / "annotation.conf"
    path.write_text(conf, encoding="utf-8")
    with pytest.raises(FormatError) as info:
        read_annotation_conf(path)
    assert str(info.value) == f"{path}{fragment}"


# ---------------------------------------------------------------------------------------------
# BRAT: malformed input
# ---------------------------------------------------------------------------------------------

TEXT_B = "قصف نوى"  # قصف [0,3) نوى [4,7)


@pytest.mark.parametrize(
    "ann, line, fragment",
    [
        # offsets outside the text
        ("T1\tLOC 4 7\tنوى\nT2\tLOC 4 9\tنوى\n", 2, "offsets [4, 9) outside the text (length 7)"),
        # empty span
        ("T1\tLOC 4 4\t\n", 1, "offsets [4, 4) outside the text (length 7)"),
        # span text not matching the .txt
        ("T1\tATTACK 0 3\tقصف\nT2\tLOC 4 7\tدرعا\n", 2, "span text 'درعا' does not match the .txt at [4, 7): 'نوى'"),
        # unknown type
        ("T1\tORG 4 7\tنوى\n", 1, "unknown type 'ORG'; annotation.conf lists entities ['LOC', 'PER'] and events ['ATTACK', 'KILL']"),
        # discontinuous span
        ("T1\tLOC 0 3;4 7\tقصف نوى\n", 1, "discontinuous spans are not supported: 'LOC 0 3;4 7'"),
        # E line referring to an unknown T
        ("T1\tATTACK 0 3\tقصف\nE1\tATTACK:T9\n", 2, "event refers to unknown trigger 'T9'"),
        # E line whose type differs from its trigger's
        ("T1\tATTACK 0 3\tقصف\nE1\tKILL:T1\n", 2, "event type 'KILL' differs from its trigger's type 'ATTACK'"),
        # E line without TYPE:ID
        ("E1\tATTACK\n", 1, "malformed event line 'E1\\tATTACK'"),
        # T line with a missing field
        ("T1\tLOC 4 7\n", 1, "a T line needs 3 tab-separated fields"),
        # non-numeric offsets
        ("T1\tLOC x 7\tنوى\n", 1, "expected 'TYPE START END', got 'LOC x 7'"),
        # a line kind BRAT does not have
        ("\nX1\tfoo\n", 2, "unrecognised annotation line 'X1\\tfoo'"),
    ],
)
def test_brat_malformed_ann_names_file_and_line(brat_folder, ann, line, fragment):
    folder = brat_folder({"a.txt": TEXT_B, "a.ann": ann})
    with pytest.raises(FormatError) as info:
        read_brat(folder)
    ann_path = folder / "a.ann"
    assert str(info.value).startswith(f"{ann_path}:{line}: ")
    assert fragment in str(info.value)
    assert info.value.path == str(ann_path)
    assert info.value.line == line


def test_brat_overlapping_spans_in_one_task_rejected(brat_folder):
    text = "سامر الحريري"
    ann = "T1\tPER 0 12\tسامر الحريري\nT2\tPER 5 12\tالحريري\n"
    folder = brat_folder({"a.txt": text, "a.ann": ann})
    with pytest.raises(FormatError) as info:
        read_brat(folder)
    assert str(info.value) == (
        f"{folder / 'a.ann'}: overlapping ner spans PER [0, 12) 'سامر الحريري' and PER [5, 12) 'الحريري'; "
        "the scheme keeps only the longest"
    )


def test_brat_overlapping_triggers_rejected(brat_folder):
    ann = "T1\tATTACK 0 7\tقصف نوى\nT2\tKILL 0 3\tقصف\n"
    folder = brat_folder({"a.txt": TEXT_B, "a.ann": ann})
    with pytest.raises(FormatError, match=r"a\.ann: overlapping triggers spans KILL \[0, 3\) 'قصف' and ATTACK \[0, 7\)"):
        read_brat(folder)


def test_brat_non_utf8_txt(brat_folder):
    folder = brat_folder({"a.txt": "قصف\n".encode("utf-8") + b"\xff\xfe", "a.ann": ""})
    with pytest.raises(FormatError) as info:
        read_brat(folder)
    # byte 7 (after 6 bytes of قصف and the newline) is on line 2
    assert str(info.value) == f"{folder / 'a.txt'}:2: not valid UTF-8 (byte 7: b'\\xff')"


def test_brat_txt_with_bom_rejected(brat_folder):
    folder = brat_folder({"a.txt": "\ufeffقصف نوى", "a.ann": ""})
    with pytest.raises(FormatError, match="starts with a byte-order mark"):
        read_brat(folder)


@pytest.mark.parametrize("content", ["", " \n\n"])
def test_brat_empty_txt(brat_folder, content):
    folder = brat_folder({"a.txt": content, "a.ann": ""})
    with pytest.raises(FormatError) as info:
        read_brat(folder)
    assert str(info.value) == f"{folder / 'a.txt'}: file is empty"


def test_brat_missing_ann(brat_folder):
    folder = brat_folder({"a.txt": TEXT_B, "a.ann": "", "b.txt": TEXT_B})
    with pytest.raises(FormatError) as info:
        read_brat(folder)
    assert str(info.value) == f"{folder / 'b.ann'}: missing annotation file for b.txt"


def test_brat_missing_annotation_conf(brat_folder):
    folder = brat_folder({"a.txt": TEXT_B, "a.ann": ""}, conf=None)
    with pytest.raises(FormatError) as info:
        read_brat(folder)
    assert str(info.value).startswith(f"{folder}: no annotation.conf in this folder or its parents")


def test_brat_folder_errors(tmp_path, brat_folder):
    with pytest.raises(FormatError, match="BRAT input must be a folder"):
        read_brat(tmp_path / "absent")
    folder = brat_folder({})
    with pytest.raises(FormatError) as info:
        read_brat(folder)
    assert str(info.value) == f"{folder}: no .txt files"


# ---------------------------------------------------------------------------------------------
# CoNLL
# ---------------------------------------------------------------------------------------------

ANERCORP_STYLE = (
    "-DOCSTART- O\n"  # 1
    "\n"  # 2
    "أعلن O\n"  # 3
    "اتحاد B-ORG\n"  # 4
    "صناعة I-ORG\n"  # 5
    "السيارات I-ORG\n"  # 6
    "في O\n"  # 7
    "ألمانيا B-LOC\n"  # 8
    "\n"  # 9
    "\n"  # 10
    "قال O\n"  # 11
    "جورج B-PERS\n"  # 12
    "بوش I-PERS\n"  # 13
    "عن O\n"  # 14
    "الأولمبياد B-MISC\n"  # 15
)


def test_conll_anercorp_style(tmp_path):
    path = tmp_path / "aner.txt"
    path.write_text(ANERCORP_STYLE, encoding="utf-8")
    documents, report = read_conll(path)

    assert [d.id for d in documents] == ["aner.txt:3", "aner.txt:11"]
    first, second = documents
    assert first.text == "أعلن اتحاد صناعة السيارات في ألمانيا"
    assert first.words == [(0, 4), (5, 10), (11, 16), (17, 25), (26, 28), (29, 36)]
    assert first.entities == [Span(5, 25, "ORG"), Span(29, 36, "LOC")]
    assert first.triggers == []
    assert second.text == "قال جورج بوش عن الأولمبياد"
    assert second.words == [(0, 3), (4, 8), (9, 12), (13, 15), (16, 26)]
    # ANERcorp's own tag names are kept
    assert second.entities == [Span(4, 12, "PERS"), Span(16, 26, "MISC")]
    assert [s.text_in(second.text) for s in second.entities] == ["جورج بوش", "الأولمبياد"]

    assert report.repaired == Counter()
    assert report.skipped == Counter({"-DOCSTART- line": 1})
    assert report.examples == {"-DOCSTART- line": ["aner.txt:1"]}


def test_conll_crlf_and_tabs(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes("قال\tO\r\nجورج\tB-PERS\r\n\r\nنوى\tB-LOC\r\n".encode("utf-8"))
    documents, _ = read_conll(path)
    assert [(d.id, d.text, d.entities) for d in documents] == [
        ("crlf.txt:1", "قال جورج", [Span(4, 8, "PERS")]),
        ("crlf.txt:4", "نوى", [Span(0, 3, "LOC")]),
    ]


def test_conll_docstart_closes_sentence(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("نوى B-LOC\n-DOCSTART- O\nدرعا B-LOC\n\n-DOCSTART- O\n", encoding="utf-8")
    documents, report = read_conll(path)
    assert [(d.id, d.text) for d in documents] == [("d.txt:1", "نوى"), ("d.txt:3", "درعا")]
    assert report.skipped == Counter({"-DOCSTART- line": 2})
    assert report.examples["-DOCSTART- line"] == ["d.txt:2", "d.txt:5"]


def test_conll_i_without_b_is_repaired_and_reported(tmp_path):
    path = tmp_path / "rep.txt"
    path.write_text(
        "في O\n"  # 1
        "درعا I-LOC\n"  # 2  I- after O: starts a span (repaired)
        "البلد I-LOC\n"  # 3  continues it
        "قرب O\n"  # 4
        "\n"  # 5
        "سامر B-PER\n"  # 6
        "نوى I-LOC\n",  # 7  I-LOC after B-PER: a new span (repaired)
        encoding="utf-8",
    )
    documents, report = read_conll(path)
    assert documents[0].entities == [Span(3, 13, "LOC")]
    assert documents[0].entities[0].text_in(documents[0].text) == "درعا البلد"
    assert documents[1].entities == [Span(0, 4, "PER"), Span(5, 8, "LOC")]
    kind = "I- tag without B- (started a span)"
    assert report.repaired == Counter({kind: 2})
    assert report.examples == {kind: ["rep.txt:2", "rep.txt:7"]}
    assert report.summary() == f"repaired 2 x {kind} (e.g. rep.txt:2, rep.txt:7)"


@pytest.mark.parametrize("tag", ["PER", "B-", "X-LOC", "b-LOC", "O-LOC"])
def test_conll_malformed_tag(tmp_path, tag):
    path = tmp_path / "bad.txt"
    path.write_text(f"قال O\nسامر {tag}\n", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        read_conll(path)
    assert str(info.value) == f"{path}:2: malformed IOB2 tag {tag!r}"


def test_conll_wrong_column_count(tmp_path):
    path = tmp_path / "cols.txt"
    path.write_text("قال O\n\nسامر B-PER O\n", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        read_conll(path)
    assert str(info.value) == (
        f"{path}:3: expected a token and 1 tag column(s) ['ner'], got 3 field(s): 'سامر B-PER O'"
    )
    with pytest.raises(FormatError, match=r"cols\.txt:1: expected a token and 2 tag column\(s\) \['ner', 'triggers'\], got 2"):
        read_conll(path, columns=("ner", "triggers"))


def test_conll_second_column_is_triggers(tmp_path):
    path = tmp_path / "two.txt"
    path.write_text("اغتيال O B-KILL\nسامر B-PER O\nالحريري I-PER O\n", encoding="utf-8")
    (document,), report = read_conll(path, columns=("ner", "triggers"))
    assert document.text == "اغتيال سامر الحريري"
    assert document.entities == [Span(7, 19, "PER")]
    assert document.triggers == [Span(0, 6, "KILL")]
    assert report.summary() == "nothing repaired or skipped"

    # the same file read with the columns the other way round
    (swapped,), _ = read_conll(path, columns=("triggers", "ner"))
    assert swapped.entities == [Span(0, 6, "KILL")]
    assert swapped.triggers == [Span(7, 19, "PER")]


def test_conll_unknown_column_task(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("نوى B-LOC\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown CoNLL column task 'events'"):
        read_conll(path, columns=("events",))


# ---------------------------------------------------------------------------------------------
# JSONL
# ---------------------------------------------------------------------------------------------


def jsonl(path, *records):
    """Write records (dicts, or raw strings for broken lines) one a line."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_valid(tmp_path):
    path = jsonl(
        tmp_path / "docs.jsonl",
        {"id": "a", "text": TEXT_B, "entities": [{"start": 4, "end": 7, "label": "LOC", "text": "نوى"}],
         "triggers": [{"start": 0, "end": 3, "label": "ATTACK"}]},
        "",
        {"text": "سامر", "entities": [{"start": 0, "end": 4, "label": "PER"}]},
    )
    documents, report = read_jsonl(path, entity_types=["PER", "LOC"], trigger_types=["ATTACK"])
    assert documents == [
        Document(id="a", text=TEXT_B, entities=[Span(4, 7, "LOC")], triggers=[Span(0, 3, "ATTACK")]),
        # no id: FILE-STEM-LINE
        Document(id="docs-3", text="سامر", entities=[Span(0, 4, "PER")], triggers=[]),
    ]
    assert report.summary() == "nothing repaired or skipped"


@pytest.mark.parametrize(
    "records, line, fragment",
    [
        (['{"id": "a", "text": "x"}', '{"id": "b", "text": '], 2, "invalid JSON: Expecting value (column 21)"),
        ([{"id": "a", "entities": []}], 1, "each line must be an object with a string field 'text'"),
        (["[1, 2]"], 1, "each line must be an object with a string field 'text'"),
        ([{"id": "a", "text": TEXT_B, "entities": [{"start": 4, "end": 7, "label": "LOC", "text": "درعا"}]}], 1,
         "span text 'درعا' does not match the text at [4, 7): 'نوى'"),
        ([{"id": "a", "text": TEXT_B}, {"id": "b", "text": TEXT_B}, {"id": "a", "text": "نوى"}], 3,
         "document id 'a' repeats line 1"),
        ([{"id": "a", "text": TEXT_B, "entities": [{"start": 4, "end": 9, "label": "LOC"}]}], 1,
         "document 'a': ner span LOC [4, 9) is outside the text (length 7) or empty"),
        ([{"id": "a", "text": TEXT_B, "triggers": [{"start": 0, "end": 7, "label": "ATTACK"}, {"start": 4, "end": 7, "label": "KILL"}]}], 1,
         "document 'a': overlapping triggers spans ATTACK [0, 7) 'قصف نوى' and KILL [4, 7) 'نوى'"),
        ([{"id": "a", "text": TEXT_B, "entities": [{"start": 4, "label": "LOC"}]}], 1,
         "each of 'entities' needs integer 'start', 'end' and a 'label'"),
        ([{"id": "a", "text": TEXT_B, "entities": {"start": 4}}], 1, "'entities' must be a list"),
    ],
)
def test_jsonl_errors_name_file_and_line(tmp_path, records, line, fragment):
    path = jsonl(tmp_path / "bad.jsonl", *records)
    with pytest.raises(FormatError) as info:
        read_jsonl(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert fragment in str(info.value)
    assert info.value.line == line


@pytest.mark.parametrize(
    "record, fragment",
    [
        ({"id": "a", "text": TEXT_B, "entities": [{"start": 4, "end": 7, "label": "ORG"}]}, "type 'ORG'; expected one of ['LOC', 'PER']"),
        ({"id": "a", "text": TEXT_B, "triggers": [{"start": 0, "end": 3, "label": "KILL"}]}, "unknown trigger type 'KILL'; expected one of ['ATTACK']"),
    ],
)
def test_jsonl_unknown_label_when_types_given(tmp_path, record, fragment):
    path = jsonl(tmp_path / "t.jsonl", record)
    with pytest.raises(FormatError) as info:
        read_jsonl(path, entity_types=["PER", "LOC"], trigger_types=["ATTACK"])
    assert str(info.value).startswith(f"{path}:1: ")
    assert fragment in str(info.value)
    # without type lists any label is accepted
    (document,), _ = read_jsonl(path)
    assert document.id == "a"


def test_jsonl_unknown_entity_label_message_wording(tmp_path):
    path = jsonl(tmp_path / "t.jsonl", {"id": "a", "text": TEXT_B, "entities": [{"start": 4, "end": 7, "label": "ORG"}]})
    with pytest.raises(FormatError, match="unknown entity type 'ORG'"):
        read_jsonl(path, entity_types=["PER", "LOC"])


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


def written_documents():
    return [
        Document(id="a", text=TEXT_A,
                 entities=[Span(7, 19, "PER"), Span(23, 27, "LOC"), Span(41, 44, "LOC")],
                 triggers=[Span(0, 6, "KILL"), Span(29, 33, "ATTACK")]),
        Document(id="b", text="نص بلا وسوم\r\nسطر ثان"),
    ]


def test_write_brat_round_trip(tmp_path):
    documents = written_documents()
    folder = tmp_path / "out"
    write_brat(documents, folder, entity_types=["DATE"])

    assert (folder / "a.ann").read_text(encoding="utf-8") == (
        "T1\tPER 7 19\tسامر الحريري\n"
        "T2\tLOC 23 27\tدرعا\n"
        "T3\tLOC 41 44\tنوى\n"
        "T4\tKILL 0 6\tاغتيال\n"
        "T5\tATTACK 29 33\tقصفت\n"
        "E1\tKILL:T4\n"
        "E2\tATTACK:T5\n"
    )
    assert (folder / "b.ann").read_bytes() == b""
    # the text is written byte for byte (CRLF kept)
    assert (folder / "b.txt").read_bytes() == documents[1].text.encode("utf-8")
    assert read_annotation_conf(folder / "annotation.conf") == (["DATE", "LOC", "PER"], ["ATTACK", "KILL"])

    read_back, report = read_brat(folder)
    assert read_back == documents
    assert report.summary() == "nothing repaired or skipped"


def test_write_brat_rejects_bad_ids(tmp_path):
    with pytest.raises(ValueError, match="document id 'x/y' cannot be a BRAT file name"):
        write_brat([Document(id="x/y", text="نوى")], tmp_path / "out")


def test_write_jsonl_round_trip(tmp_path):
    documents = written_documents()
    path = tmp_path / "out.jsonl"
    write_jsonl(documents, path)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 3
    assert json.loads(lines[0])["triggers"] == [{"start": 0, "end": 6, "label": "KILL"}, {"start": 29, "end": 33, "label": "ATTACK"}]
    read_back, _ = read_jsonl(path)
    assert read_back == documents


def test_read_documents_dispatch(tmp_path, brat_folder):
    folder = brat_folder(valid_files())
    documents, _ = read_documents(str(folder), "brat")
    assert [d.id for d in documents] == ["a", "b"]
    with pytest.raises(ValueError, match="unknown data format 'xml'; expected one of \\['brat', 'conll', 'jsonl'\\]"):
        read_documents(folder, "xml")


# ---------------------------------------------------------------------------------------------
# The shipped sample data
# ---------------------------------------------------------------------------------------------


def test_shipped_sample_data_reads_cleanly(sample_splits):
    sizes = {split: len(documents) for split, (documents, _) in sample_splits.items()}
    assert sizes == {"train": 50, "dev": 6, "test": 6}
    for split, (documents, report) in sample_splits.items():
        assert report.repaired == Counter() and report.skipped == Counter(), split
        for document in documents:
            assert document.entities and document.triggers, document.id

    entity_types, event_types = read_annotation_conf(SAMPLE_DIR / "annotation.conf")
    assert entity_types == ["PER", "ORG", "LOC", "DATE"]
    assert event_types == ["ATTACK", "KILL", "INJURE", "ARREST", "SIEGE", "DEPLOY", "WITHDRAW", "MEET", "NEGOTIATE", "AGREE",
                           "DEMAND", "PROTEST"]
    train, _ = sample_splits["train"]
    counts = Counter(s.label for d in train for s in d.entities + d.triggers)
    assert set(counts) == set(entity_types) | set(event_types)
    rare = {t: counts[t] for t in entity_types + event_types if counts[t] < 10}
    assert rare == {}, f"types with fewer than 10 train mentions: {rare}"
