"""The answer-file schema table: validation, "did you mean" errors and docs/answer-files.md all follow it.

Defaults and values are checked against what the lecture's exercises need, written out by
hand here (not read back from the table), so a wrong table entry fails.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from cnntool.check import AnswerFileError, grade_text
from cnntool.check.questions import parse_question, parse_questions
from cnntool.check.schema import COMMON_FIELDS, FILE_FIELDS, KINDS, QUESTION_KINDS, allowed_fields
from cnntool.check.schema_doc import markdown
from cnntool.check.toml_io import parse_toml

DOC = Path(__file__).resolve().parents[2] / "docs" / "answer-files.md"

# the smallest valid question of each kind
MINIMAL = {
    **{kind: {"spec": "3x8x8 | conv 2 k3"} for kind in KINDS[:8]},
    "conv": {"image": "1 2; 3 4", "kernel": "1"},
    "pool": {"image": "1 2; 3 4"},
    "feasible": {"input": 7, "kernel": 3, "stride": 1},
}
DEFAULTS = {"layout": "chw", "convention": "pytorch", "title": "", "student": ""}


def test_minimal_questions_cover_every_kind() -> None:
    assert set(MINIMAL) == set(KINDS) == set(QUESTION_KINDS)


def parse(kind: str, name: str = "hw.toml", **fields) -> object:
    return parse_question({"id": "q1", "kind": kind, **MINIMAL[kind], **fields}, 1, DEFAULTS, name)


def test_defaults_of_an_absent_field() -> None:
    conv = parse("conv").inputs
    assert conv["stride"] == (1, 1) and conv["padding"] == (0, 0) and conv["dilation"] == (1, 1)
    assert conv["bias"] == 0 and conv["flip"] is False and conv["normalize"] is False
    assert conv["at"] is conv["tolerance"] is conv["truncate"] is conv["decimals"] is None
    pool = parse("pool").inputs
    assert pool["size"] == (2, 2) and pool["stride"] is None  # None: the window size, as PyTorch
    assert pool["mode"] == "max" and pool["ceil"] is False and pool["count_include_pad"] is True
    feasible = parse("feasible").inputs
    assert (feasible["padding"], feasible["dilation"], feasible["fix"]) == (0, 1, None)
    spec = parse("params").inputs
    assert spec == {"spec": "3x8x8 | conv 2 k3", "layer": "last", "convention": "pytorch", "layout": "chw"}
    question = parse("shape")
    assert (question.points, question.partial, question.prompt, question.answer) == (1.0, 0.0, "", None)


def test_file_settings_are_inherited_and_overridable() -> None:
    defaults, (a, b) = parse_questions(
        {
            "layout": "HWC",
            "convention": "keras",
            "question": [
                {"id": "a", "kind": "shape", "spec": "8x8x3"},
                {"id": "b", "kind": "shape", "spec": "3x8x8", "layout": "chw"},
            ],
        },
        "hw.toml",
    )
    assert defaults["layout"] == "hwc" and a.inputs["layout"] == "hwc" and a.inputs["convention"] == "keras"
    assert b.inputs["layout"] == "chw"


def test_written_values_are_parsed_exactly() -> None:
    conv = parse("conv", padding="same", stride=[1, 2], bias="-1/2", at=[0, 1], answer="7/9").inputs
    assert conv["padding"] == "same" and conv["stride"] == (1, 2) and conv["bias"] == Fraction(-1, 2)
    assert parse("conv", at=[0, 0], answer=[[0.77]]).answer == Fraction(77, 100)
    assert parse("shape", answer="10x32x32").answer == (10, 32, 32)
    assert parse("params", answer="34,944").answer == 34_944
    assert parse("receptive_field", answer="all").answer == "all"
    assert parse("feasible", fix={"stride": 1}).inputs["fix"] == {"stride": 1}
    assert parse("params", layer="LAST").inputs["layer"] == "last"


@pytest.mark.parametrize("kind", KINDS)
def test_every_misspelled_field_is_named_with_its_correction(kind: str) -> None:
    """Derived from the table: every allowed field, typed with one letter too many, is refused and named."""
    for name in allowed_fields(kind):
        with pytest.raises(AnswerFileError) as error:
            parse(kind, **{name + "x": 1})
        message = str(error.value)
        assert message.startswith(f"hw.toml: question 'q1', field '{name}x': unknown field for kind '{kind}'")
        assert f"(did you mean '{name}'?)" in message, message


@pytest.mark.parametrize("kind", KINDS)
def test_every_required_field_is_required(kind: str) -> None:
    required = QUESTION_KINDS[kind].required
    assert required == {
        "conv": ("image", "kernel"),
        "pool": ("image",),
        "feasible": ("input", "kernel", "stride"),
    }.get(kind, ("spec",))
    for name in required:
        table = {"id": "q1", "kind": kind, **{k: v for k, v in MINIMAL[kind].items() if k != name}}
        with pytest.raises(
            AnswerFileError, match=f"^hw.toml: question 'q1', field '{name}': missing; a '{kind}'"
        ):
            parse_question(table, 1, DEFAULTS, "hw.toml")


MESSAGES = [
    ('[[question]]\nid = "a"\nkind = "shapes"\n', "question 'a', field 'kind': unknown kind 'shapes' (did you mean 'shape'?)"),
    ('[[question]]\nkind = "shape"\n', "question #1, field 'id': missing"),
    ('[[question]]\nid = "a"\nkind = "shape"\nspec = 3\n', "question 'a', field 'spec': expected a string, got an integer 3"),
    ('[[question]]\nid = "a"\nkind = "conv"\nimage = [[1, "x"]]\nkernel = "1"\n', "question 'a', field 'image[0][1]'"),
    ('[[question]]\nid = "a"\nkind = "feasible"\ninput = 7\nkernel = 3\nstride = 1\nfix = { padding = -1 }\n',
     "question 'a', field 'fix.padding': must be at least 0, got -1"),
    ('[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\npartial = 2\n',
     "question 'a', field 'partial': is the share of points for a recognised mistake, 0 to 1; got 2"),
    ('[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\npoints = -1\n',
     "question 'a', field 'points': must be between 0 and 1000, got -1"),
    ('[[question]]\nid = "a"\nkind = "conv"\nimage = "1"\nkernel = "1"\ntolerance = -1\n',
     "question 'a', field 'tolerance': must be ≥ 0"),
    ('layout = "nhwc"\n[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\n',
     "top-level field 'layout': 'nhwc' is not one of chw, hwc"),
    ('titel = "x"\n[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\n',
     "unknown top-level field 'titel' (did you mean 'title'?)"),
    ('[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\n[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8"\n',
     "question 'a', field 'id': is used by two questions; ids must be unique"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), MESSAGES)
def test_every_message_names_the_file_question_and_field(tmp_path: Path, text: str, message: str) -> None:
    from cnntool.check import grade

    path = tmp_path / "answers.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnswerFileError) as error:
        grade(path)
    assert str(error.value).startswith(f"{path}: {message}"), str(error.value)


ANSWER_MESSAGES = [
    ('[[question]]\nid = "a"\nkind = "params"\nspec = "3x8x8 | conv 2 k3"\nanswer = true\n',
     "question 'a', field 'answer': expected a whole number like 760 or \"34,944\", got a boolean true"),
    ('[[question]]\nid = "a"\nkind = "shape"\nspec = "3x8x8 | conv 2 k3"\nanswer = "big"\n',
     "question 'a', field 'answer': expected a shape like [10, 32, 32] or \"10x32x32\", got a string 'big'"),
    ('[[question]]\nid = "a"\nkind = "conv"\nimage = "1"\nkernel = "1"\nat = [0, 0]\nanswer = nan\n',
     "question 'a', field 'answer': expected a finite number, got nan"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), ANSWER_MESSAGES)
def test_an_answer_that_cannot_be_read_names_the_file_question_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    """An unreadable answer is that question's problem (graded wrong, the message says why), not the file's."""
    from cnntool.check import grade

    path = tmp_path / "answers.toml"
    path.write_text(text, encoding="utf-8")
    (result,) = grade(path).results
    assert result.status == "wrong" and result.score == 0
    assert result.notes[0] == f"your answer could not be read: {path}: {message}", result.notes


def test_a_submission_s_answer_is_named_with_the_submission_file(tmp_path: Path) -> None:
    key = Path(__file__).resolve().parents[2] / "examples" / "lecture_key.toml"
    path = tmp_path / "ada.toml"
    path.write_text("[answers]\nq1 = true\nq2 = 760\n", encoding="utf-8")
    from cnntool.check import grade

    q1, q2, *_ = grade(path, key).results
    assert q1.status == "wrong" and q2.status == "correct"  # the rest of the file is graded
    assert re.search(r"ada\.toml: question 'q1', field 'answer': expected a shape", q1.notes[0]), q1.notes


def test_the_docs_page_is_the_table() -> None:
    """docs/answer-files.md is written from the table; regenerate it with
    `python -m cnntool.check.schema_doc > docs/answer-files.md` after changing the schema."""
    assert DOC.read_text(encoding="utf-8") == markdown()


def test_the_docs_page_lists_every_field_of_every_kind() -> None:
    page = DOC.read_text(encoding="utf-8")
    for field in (*FILE_FIELDS, *COMMON_FIELDS, *(f for k in QUESTION_KINDS.values() for f in k.fields)):
        assert f"| `{field.name}` |" in page, field.name
    for kind in KINDS:
        assert f"`{kind}`" in page


def test_the_docs_examples_are_graded_right() -> None:
    page = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", page, re.S)
    assert len(blocks) == 2
    report = grade_text(blocks[0])
    assert report.all_correct and report.score == 2 + 1 + 1 + 1, [(r.id, r.status) for r in report.results]
    # the submission answers the example by id (the example file is its key)
    key = parse_toml(blocks[0])
    from cnntool.check import grade

    graded = grade(parse_toml(blocks[1]), key=key)
    assert [r.status for r in graded.results] == ["correct", "correct", "unanswered", "unanswered"]
