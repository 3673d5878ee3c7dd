"""`cnntool quiz --json`: the same questions and key answers as the TOML files, as data."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cnntool.cli.app import app

runner = CliRunner()


def test_quiz_json_matches_the_key_file(tmp_path) -> None:
    result = runner.invoke(app, ["quiz", "--seed", "3", "--count", "4", "--kinds", "shape,params", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [q["id"] for q in data["questions"]] == ["q1", "q2", "q3", "q4"]
    assert [q["kind"] for q in data["questions"]] == ["shape", "params", "shape", "params"]
    key = tmp_path / "key.toml"
    assert (
        runner.invoke(
            app, ["quiz", "--seed", "3", "--count", "4", "--kinds", "shape,params", "--key", str(key)]
        ).exit_code
        == 0
    )
    answers = tmp_path / "answers.toml"
    answers.write_text(
        "[answers]\n" + "".join(f"{q['id']} = {json.dumps(q['answer'])}\n" for q in data["questions"])
    )
    graded = runner.invoke(app, ["check", "--key", str(key), str(answers), "--json"])
    assert graded.exit_code == 0, graded.output
    assert json.loads(graded.stdout)["all_correct"] is True
