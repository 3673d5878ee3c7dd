"""Every --json output validates against its JSON Schema in docs/schemas/ (draft 2020-12).

The schemas close their objects (`additionalProperties: false`, every key required), so a
renamed, dropped or added key fails here until the schema and docs/json-output.md say so.
Each command runs on real inputs: every zoo net, --hwc, --keras, residual and recurrent nets,
the examples/ answer files, a key with a folder of submissions, and broken files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from typer.testing import CliRunner

from cnntool.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas"
EXAMPLES = ROOT / "examples"
runner = CliRunner()


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


REGISTRY = Registry().with_resources(
    (path.name, Resource.from_contents(_load(path))) for path in sorted(SCHEMAS.glob("*.schema.json"))
)
MINE = ("summary", "explain", "zoo", "check", "check-folder", "gradescope", "quiz", "export")


def validate(name: str, data: Any) -> None:
    schema = REGISTRY.contents(f"{name}.schema.json")
    errors = sorted(Draft202012Validator(schema, registry=REGISTRY).iter_errors(data), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def run_json(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", MINE)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = _load(SCHEMAS / f"{name}.schema.json")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def _zoo_names() -> list[str]:
    from cnntool.spec.zoo import ZOO

    return list(ZOO)


SUMMARY_INPUTS = [
    *([name] for name in _zoo_names()),
    ["lenet5", "--hwc", "--input", "28x28x1"],
    ["32x32x3 | conv 10 k5 p2 | maxpool 2 | flatten | dense 10", "--hwc"],
    ["lstm_classifier", "--keras"],
    ["3x8x8 | batchnorm | conv 4 k3 s2 padding=same", "--keras"],
    [str(EXAMPLES / "resnet_block.net")],
    [str(EXAMPLES / "sentiment_lstm.net")],
    [str(EXAMPLES / "alexnet.net"), "--input", "3x227x227"],
    ["1x10x10 | conv 1 k3 s2"],  # a warning
    ["50x32 | gru 16 bidirectional=true | dense 4"],
    ["3x32x32 | res[ conv 8 k3 p1 | relu | conv 8 k3 p1 ] | globalavgpool | dense 10"],
]


@pytest.mark.parametrize("args", SUMMARY_INPUTS, ids=lambda a: " ".join(a)[:40])
def test_summary(args: list[str]) -> None:
    data = run_json("summary", *args, "--json")
    validate("summary", data)
    assert data["shape_order"] == ("channels_last" if "--hwc" in args else "channels_first")


@pytest.mark.parametrize(
    "args",
    [
        ["alexnet"],
        ["lenet5", "--layer", "4"],
        ["lstm_classifier", "--keras"],
        ["resnet18", "--hwc"],
        [str(EXAMPLES / "resnet_block.net"), "--layer", "9"],
    ],
    ids=lambda a: " ".join(a)[:40],
)
def test_explain(args: list[str]) -> None:
    validate("explain", run_json("explain", *args, "--json"))


def test_zoo() -> None:
    data = run_json("zoo", "--json")
    validate("zoo", data)
    assert [entry["name"] for entry in data] == _zoo_names()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([EXAMPLES / "lecture_answers.toml"], 0),
        ([EXAMPLES / "lecture_answers_wrong.toml"], 1),
        ([EXAMPLES / "lecture_key.toml"], 0),
        ([EXAMPLES / "submissions" / "bob.toml", "--key", EXAMPLES / "lecture_key.toml"], 1),
        ([EXAMPLES / "submissions" / "ada.toml", "--key", EXAMPLES / "lecture_key.toml"], 0),
        (
            [EXAMPLES / "submissions" / "bob.toml", "--key", EXAMPLES / "lecture_key.toml", "--hide-answers"],
            1,
        ),
    ],
    ids=lambda a: a if isinstance(a, int) else " ".join(Path(str(x)).name for x in a),
)
def test_check_one_file(args: list, code: int) -> None:
    data = run_json("check", *args, "--json", code=code)
    validate("check", data)
    assert data["all_correct"] is (code == 0)
    assert data["answers_hidden"] is ("--hide-answers" in args) and data["warnings"] == []


def test_check_warnings_and_odd_answers_validate(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("[answers]\nQ1 = 1\nq4 = nan\nq3 = 1979-05-27\n")
    data = run_json("check", path, "--key", EXAMPLES / "lecture_key.toml", "--json", code=1)
    validate("check", data)
    assert len(data["warnings"]) == 1 and [q["given"] for q in data["questions"]][2:4] == [
        "1979-05-27",
        "nan",
    ]


def test_check_question_that_cannot_be_computed(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text(
        '[[question]]\nid = "a"\nkind = "params"\nspec = "3x8x8 | conv 2 k3 | dense 2"\nanswer = 1\n'
    )
    data = run_json("check", path, "--json", code=1)
    validate("check", data)
    assert data["questions"][0]["status"] == "error" and data["questions"][0]["given"] == 1


def test_check_folder_with_key(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    shutil.copytree(EXAMPLES / "submissions", subs)
    data = run_json("check", "--key", EXAMPLES / "lecture_key.toml", subs, "--json", code=1)  # bob is wrong
    validate("check-folder", data)
    assert [Path(f["source"]).name for f in data["files"]] == ["ada.toml", "bob.toml"] and data[
        "broken"
    ] == []
    (subs / "broken.toml").write_text("[answers\n")
    data = run_json("check", "--key", EXAMPLES / "lecture_key.toml", subs, "--json", code=2)
    validate("check-folder", data)
    assert [Path(b["file"]).name for b in data["broken"]] == ["broken.toml"]


def test_check_several_files_without_key() -> None:
    data = run_json(
        "check", EXAMPLES / "lecture_answers.toml", EXAMPLES / "lecture_answers_wrong.toml", "--json", code=1
    )
    validate("check-folder", data)
    assert data["key"] == "" and len(data["files"]) == 2


KEY = EXAMPLES / "lecture_key.toml"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([EXAMPLES / "lecture_answers.toml", "--key", EXAMPLES / "lecture_answers.toml"], 0),
        ([EXAMPLES / "lecture_answers_wrong.toml", "--key", EXAMPLES / "lecture_answers_wrong.toml"], 1),
        ([EXAMPLES / "submissions" / "bob.toml", "--key", KEY], 1),
        ([EXAMPLES / "submissions" / "bob.toml", "--key", KEY, "--hide-answers"], 1),
        ([EXAMPLES / "missing.toml", "--key", KEY], 2),
        ([EXAMPLES, "--key", KEY], 2),  # a folder: gradescope grades one file
        ([EXAMPLES / "lecture_answers.toml"], 2),  # no key: the file would set its own points
    ],
    ids=["right", "wrong", "key", "hidden", "missing", "folder", "no-key"],
)
def test_gradescope(args: list, code: int) -> None:
    data = run_json("check", *args, "--format", "gradescope", code=code)
    validate("gradescope", data)
    assert (data["tests"] == []) is (code == 2)


def test_gradescope_on_malformed_file(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('[[question]]\nkind = "shape"\nstrid = 2\n')  # no id: which question is it?
    data = run_json("check", path, "--key", KEY, "--format", "gradescope", code=2)
    validate("gradescope", data)
    assert "question #1, field 'id': missing" in data["output"]
    path.write_text('[[question]]\nid = "q1"\nstrid = 2\n')  # a stray field: graded, and said where
    data = run_json("check", path, "--key", KEY, "--format", "gradescope", code=1)
    validate("gradescope", data)
    assert "field 'strid' is not read" in data["tests"][0]["output"]


@pytest.mark.parametrize(
    "args",
    [
        ["--seed", "0"],
        ["--seed", "7", "--count", "11", "--difficulty", "hard", "--kinds",
         "shape,params,params_unshared,params_dense,macs,receptive_field,total_params,total_macs,conv,pool,feasible"],
        ["--seed", "3", "--count", "6", "--difficulty", "easy", "--kinds", "conv,pool,infeasible"],
    ],
    ids=["default", "every-kind-hard", "easy-windows"],
)  # fmt: skip
def test_quiz(args: list[str]) -> None:
    validate("quiz", run_json("quiz", *args, "--json"))


def test_export(tmp_path: Path) -> None:
    from cnntool.engine import build

    build("1x8x8 | conv 2 k3 | relu | flatten | dense 3").save(tmp_path / "m.npz")
    data = run_json("export", tmp_path / "m.npz", "--out", tmp_path / "net.py", "--json")
    validate("export", data)
    assert data == {"module": str(tmp_path / "net.py"), "weights": str(tmp_path / "net.weights.npz")}


# --- the schemas cannot drift from the code they describe -----------------------------------------


def test_enums_are_the_code_s() -> None:
    from cnntool.arith import CONVENTIONS
    from cnntool.check.grade import STATUSES
    from cnntool.check.quiz import DIFFICULTIES, QUIZ_KINDS
    from cnntool.check.schema import KINDS
    from cnntool.spec.nodes import LAYOUTS

    layer = REGISTRY.contents("summary.schema.json")["$defs"]["layer"]["properties"]
    assert tuple(layer["layout"]["enum"]) == LAYOUTS
    summary = REGISTRY.contents("summary.schema.json")["$defs"]["summary"]["properties"]
    assert tuple(summary["convention"]["enum"]) == CONVENTIONS
    question = REGISTRY.contents("check.schema.json")["$defs"]["question"]["properties"]
    assert tuple(question["kind"]["enum"]) == KINDS and tuple(question["status"]["enum"]) == STATUSES
    quiz = REGISTRY.contents("quiz.schema.json")["properties"]
    assert tuple(quiz["difficulty"]["enum"]) == DIFFICULTIES
    assert tuple(quiz["kinds"]["items"]["enum"]) == QUIZ_KINDS


def test_quiz_questions_have_the_answer_file_fields() -> None:
    """A quiz question is an answer-file [[question]] table: the same field names, no others."""
    from cnntool.check.schema import COMMON_FIELDS, QUESTION_KINDS

    fields = {f.name for f in COMMON_FIELDS} | {f.name for k in QUESTION_KINDS.values() for f in k.fields}
    schema = REGISTRY.contents("quiz.schema.json")["properties"]["questions"]["items"]
    assert set(schema["properties"]) == fields


def test_json_output_page_links_every_schema() -> None:
    page = (ROOT / "docs" / "json-output.md").read_text(encoding="utf-8")
    for name in MINE:
        assert f"(schemas/{name}.schema.json)" in page, name
