"""Metadata accuracy per field against a manifest: one comparison, forgiving form and never content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.metadata import FIELDS, ManifestRow, load_manifest, normalise, overall, score_metadata
from rag.types import LetterMeta


@pytest.mark.parametrize(
    ("field", "manifest", "read"),
    [
        ("doc_number", "渝科局函〔2022〕242号", "渝科局函[2022]242号"),
        ("doc_number", "本住建议字〔2019〕第33号", "本住建议字（2019）第 33 号"),
        ("proposal_number", "0197", "197"),
        ("proposal_number", "133", "第一百三十三号"),
        ("proposal_number", "TA2018059", "ta2018059"),
        ("proposer", "尚小豆委员、田海军委员", "尚小豆、田海军"),
        ("proposer", "郭胜利、陈爱珍", "郭胜利、陈爱珍委员"),
        ("proposer", "苏紫玉、李传玲", "苏紫玉、李传玲代表"),
        ("proposer", "李颍华", "尊敬的李颍华委员"),
        ("proposer", "兰陵县代表团刘志军等5名代表", "兰陵县代表团刘志军等5名代表"),
        ("title", "加强统筹建设新能源充电桩", "关于“加强统筹建设新能源充电桩”的建议"),
        ("title", "关于“加强校社协同增强青少年身体素质”的提案", "加强校社协同增强青少年身体素质"),
        (
            "title",
            "关于进一步强化中小学体育教育,增强学生体质的建议",
            "关于进一步强化中小学体育教育，增强学生体质的建议",
        ),
        ("issuer", "天津市城市管理委员会", "天津市 城市管理委员会"),
    ],
)
def test_form_is_forgiven(field: str, manifest: str, read: str) -> None:
    assert normalise(field, manifest) == normalise(field, read)


@pytest.mark.parametrize(
    ("field", "manifest", "read"),
    [
        ("doc_number", "渝科局函〔2022〕242号", "渝科局函〔2022〕24号"),
        ("proposal_number", "2118", "33"),
        ("proposer", "尚小豆委员、田海军委员", "尚小豆委员"),
        ("proposer", "兰陵县代表团刘志军等5名代表", "刘志军"),
        ("proposer", "民进渭南市委员会", "民进渭南市"),
        ("title", "关于改善中小学生“趴课桌”午睡方式的建议的建议", "关于改善中小学生“趴课桌”午睡方式的建议"),
        ("title", "关于丰富校园营养餐供给的建议", "永仁县教育局关于第0057号代表建议的答复"),
        ("issuer", "临沂市工业和信息化局", "市工信局"),
        ("kind", "政协提案", "人大建议"),
    ],
)
def test_content_is_not(field: str, manifest: str, read: str) -> None:
    assert normalise(field, manifest) != normalise(field, read)


def test_accuracy_over_filled_values_and_inventions_over_empty_ones(tmp_path: Path) -> None:
    path = tmp_path / "manifest.jsonl"
    rows = [
        {"file": "letters/a.txt", "doc_number": "渝科局函〔2022〕242号", "proposal_number": "0197", "proposer": "胡大章",
         "kind": "人大建议", "year": 2022, "title": "关于支持万盛的建议", "issuer": "重庆市科学技术局"},
        {"file": "letters/b.txt", "doc_number": "", "proposal_number": "", "proposer": "张慧",
         "kind": "政协提案", "year": None, "title": "加强心理健康教育", "issuer": "郑州市惠济区教育局"},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    manifest = load_manifest(path)
    assert manifest[0] == ManifestRow("a.txt", {**{f: str(rows[0][f]) for f in FIELDS}})
    assert manifest[1].values["year"] == ""
    metas = {
        "a.txt": LetterMeta(doc_number="渝科局函〔2022〕242号", proposal_number="197", proposer="胡大章代表",
                            kind="人大建议", year=2022, title="关于第0197号建议的答复函",
                            proposal_title="关于支持万盛的建议", issuer="市科技局"),
        # b: a 文号 cited in the body taken for the letter's own, and a year the letter does not print
        "b.txt": LetterMeta(doc_number="教基厅函〔2021〕28号", proposer="张慧委员", kind="", year=2021,
                            title="关于“加强心理健康教育”的提案"),
    }  # fmt: skip
    texts = {"a.txt": "发布机构 市科技局 …", "b.txt": "张慧委员：…郑州市惠济区教育局"}
    scores = score_metadata(manifest, metas, texts)
    assert scores["doc_number"].accuracy == 1.0 and scores["doc_number"].invented == 1
    assert scores["doc_number"].inventions == (("b.txt", "教基厅函〔2021〕28号"),)
    assert scores["proposal_number"].accuracy == 1.0 and scores["proposal_number"].empty == 1
    assert scores["proposer"].accuracy == 1.0
    assert scores["kind"].accuracy == 0.5 and scores["kind"].misses == (("b.txt", "政协提案", ""),)
    assert scores["year"].accuracy == 1.0 and scores["year"].invented == 1
    assert scores["title"].accuracy == 1.0  # a: the proposal's title; b: the heading, as the manifest has it
    assert scores["issuer"].accuracy == 0.0
    assert scores["issuer"].unstated == ("a.txt",)  # the text says 市科技局 only
    accuracy, invented = overall(scores)
    assert accuracy == pytest.approx(8 / 11) and invented == 2
    # a file that was not read is not scored
    assert score_metadata(manifest, {"a.txt": metas["a.txt"]})["kind"].filled == 1
