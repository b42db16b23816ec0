"""The parts of a reply letter: header, body, closing and signature, whatever the letter lacks."""

from __future__ import annotations

from index.letter import LetterParts, salutation_name, split_letter


def _parts(text: str) -> LetterParts:
    return split_letter(text.split("\n"))


def test_a_complete_letter() -> None:
    parts = _parts(
        "索引号:ABC/2023-1 发布机构:市农业局\n东林市农业局文件\n东农函〔2023〕5号\n关于市政协三届二次会议第8号提案的\n"
        "答 复 函\n周红委员：\n您提出的《关于发展乡村旅游的提案》收悉，现答复如下：\n一、总体情况\n发展较快。\n"
        "最后，感谢您的关心。\n联系人：王明，联系电话：12345678\n东林市农业局\n2023年6月1日\n抄送：市政协提案委"
    )
    assert parts.fields.lines == {0}
    assert parts.heading == (3, 5) and parts.heading_text() == "关于市政协三届二次会议第8号提案的答复函"
    assert (parts.salutation, parts.opening, parts.body_start) == (5, 6, 7)
    assert (parts.closing_start, parts.signature_start) == (9, 10)
    assert parts.opening_text() == "周红委员：\n您提出的《关于发展乡村旅游的提案》收悉，现答复如下"


def test_an_excerpt_without_salutation_or_signature_starts_its_body_at_the_first_section() -> None:
    parts = _parts(
        "对区政协五届二次会议第7号提案的答复\n2024-09-12 09:30\n来源:某区\n一、关于课后服务\n已延长。"
    )
    assert parts.salutation is None and parts.opening is None
    assert parts.heading == (0, 1) and parts.body_start == 3
    assert parts.signature_start == parts.closing_start == 5


def test_an_opening_without_salutation() -> None:
    parts = _parts("关于某事的回复\n首先感谢赵丽委员的关心。您的提案收悉，现答复如下：\n一、情况\n已办理。")
    assert parts.salutation is None and parts.opening == 1 and parts.body_start == 2


def test_a_salutation_without_收悉() -> None:
    parts = _parts("李华代表：\n您提出的建议，我局高度重视，经研究答复如下：\n已办理。")
    assert (parts.salutation, parts.opening, parts.body_start) == (0, 1, 2)
    parts = _parts("市工商联：\n贵单位提出的提案，我们认真研究了。\n已办理。")
    assert (parts.salutation, parts.opening, parts.body_start) == (0, 1, 2)


def test_a_colon_in_the_body_is_no_salutation() -> None:
    parts = _parts("关于某事的答复\n主要措施有：\n一是加强领导。\n二是加大投入。")
    assert parts.salutation is None


def test_the_thanks_before_the_signature_are_the_closing() -> None:
    parts = _parts(
        "张明委员：\n您的提案收悉，现答复如下：\n已办理。\n在此，再次表示感谢。\n2022年9月23日\n联系单位：某某局"
    )
    assert (parts.closing_start, parts.signature_start) == (3, 4)


def test_a_page_that_is_not_a_letter() -> None:
    parts = _parts("推动产业再上台阶\n王某 某某省科学技术厅厅长\n近年来，全省产业快速发展。")
    assert not parts.is_letter


def test_salutation_names() -> None:
    assert salutation_name("尊敬的孙强委员：") == "孙强委员"
    assert salutation_name("苏明、李亮代表:") == "苏明、李亮代表"
    assert salutation_name("高飞委员:您提出的提案收悉") == "高飞委员"
    assert salutation_name("一、总体情况") == ""


def test_a_bracketed_note_under_the_date_is_part_of_the_signature() -> None:
    # GB/T 9704 puts the 附注 in brackets under the date: the issuer above it is still the signature.
    parts = _parts(
        "东农函〔2023〕5号\n周红委员：\n您提出的提案收悉，现答复如下：\n一、总体情况\n发展较快。\n"
        "东林市农业局\n2023年6月1日\n（联系人：王明，联系电话：12345678）"
    )
    assert (parts.body_start, parts.signature_start) == (3, 5)
