"""``dafu eval`` without building indexes: the DRCD skip, DRCD loading and ``--compare``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from eval.cli import eval_cmd
from eval.datasets import load_drcd
from eval.drcd import paragraph_ranker
from tests.eval.test_report import _result, _run
from tests.factories import make_hit

DRCD = {
    "version": "1.3",
    "data": [
        {"title": "梵语", "id": "1147", "paragraphs": [
            {"id": "1147-5", "context": "在欧洲，梵语的学术研究由德国学者开创。",
             "qas": [{"id": "1147-5-1", "question": "哪一地区开创了梵语研究？",
                      "answers": [{"id": "1", "text": "欧洲", "answer_start": 1}]}]},
            {"id": "1147-6", "context": "梵语是印度的古典语言。",
             "qas": [{"id": "1147-6-1", "question": "梵语是哪里的古典语言？",
                      "answers": [{"id": "1", "text": "印度", "answer_start": 3}]}]},
        ]},
    ],
}  # fmt: skip


def test_missing_drcd_is_skipped_with_a_note(tmp_path: Path) -> None:
    result = CliRunner().invoke(eval_cmd, ["--set", "drcd", "--out", str(tmp_path)],
                                env={"DAFU_DRCD_PATH": str(tmp_path / "absent.json")})  # fmt: skip
    assert result.exit_code == 1
    assert "跳过 DRCD" in result.output
    assert "没有可运行的评测集" in result.output
    assert not list(tmp_path.iterdir())


def test_missing_other_bureaus_corpus_is_skipped_with_a_note(tmp_path: Path) -> None:
    result = CliRunner().invoke(eval_cmd, ["--set", "other", "--out", str(tmp_path)],
                                env={"DAFU_OTHER_BUREAUS_PATH": str(tmp_path / "absent")})  # fmt: skip
    assert result.exit_code == 1
    assert "跳过其他单位答复函" in result.output and "DAFU_OTHER_BUREAUS_PATH" in result.output
    assert not list(tmp_path.iterdir())


def test_drcd_paragraphs_become_documents(tmp_path: Path) -> None:
    path = tmp_path / "drcd.json"
    path.write_text(json.dumps(DRCD, ensure_ascii=False), encoding="utf-8")
    corpus = load_drcd(path)
    assert corpus.documents == [
        ("1147-5", "在欧洲，梵语的学术研究由德国学者开创。"),
        ("1147-6", "梵语是印度的古典语言。"),
    ]
    assert [(q.id, q.gold[0].doc_id, q.facts) for q in corpus.questions] == [
        ("1147-5-1", "1147-5", (("欧洲",),)), ("1147-6-1", "1147-6", (("印度",),))]  # fmt: skip
    first = load_drcd(path, paragraphs=1)
    assert first.name == "drcd-p1" and len(first.questions) == 1
    hits = [
        make_hit("a", doc_id="1147-6"),
        make_hit("b", doc_id="1147-6", start=3),
        make_hit("c", doc_id="1147-5"),
    ]
    assert paragraph_ranker(hits, corpus.questions[0]) == [2]


def test_compare_lists_better_and_worse(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_run([_result("q1", [1], found=True, correct=True)])), encoding="utf-8")
    b.write_text(json.dumps(_run([_result("q1", [7], found=True, correct=False)])), encoding="utf-8")
    result = CliRunner().invoke(eval_cmd, ["--compare", str(a), str(b)])
    assert result.exit_code == 0, result.output
    assert "q1" in result.output and "worse" in result.output
    assert "0 better, 1 worse" in result.output
