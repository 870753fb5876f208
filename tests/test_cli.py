"""The command line, run as a real subprocess on the session index."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import CLI, N_SECTIONS

PUBLIC_KEYS = ["id", "question", "answer", "refused", "language", "mode", "citations", "latency_s"]
BREAKFAST = "Comment financer des petits déjeuners à l'école ?"


def run(args, env, cwd, timeout=300):
    return subprocess.run([str(CLI), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")


def test_batch_writes_public_contract(cli_env, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "answers" / "out.jsonl"
    write_jsonl(src, [
        {"id": "q1", "question": BREAKFAST},
        {"id": 2, "question": "Who do I call about the 1 € canteen?", "extra": "ignored"},
        {"id": "q3", "question": "Et qui dois-je contacter ?", "history": [
            {"role": "user", "content": BREAKFAST},
            {"role": "assistant", "content": "D'après le guide, voir Atelier n°2 « Les petits déjeuners … », p. 7."},
        ]},
        "",  # blank lines are skipped
        {"id": "q4", "question": "recette de la tarte tatin"},
    ])
    proc = run(["ask", "--batch", str(src), "--out", str(out)], cli_env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"4 answers written to {out}" in proc.stdout
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    rows = [json.loads(line) for line in lines]
    for r in rows:
        assert list(r) == PUBLIC_KEYS
        assert isinstance(r["answer"], str) and r["answer"]
        assert isinstance(r["refused"], bool)
        assert r["mode"] == "extractive"
        assert isinstance(r["latency_s"], float) and r["latency_s"] >= 0
        for c in r["citations"]:
            assert list(c) == ["section", "title", "pages", "quote"]
            assert c["pages"] and all(type(p) is int for p in c["pages"])
            assert isinstance(c["quote"], str) and c["quote"]
    assert [r["id"] for r in rows] == ["q1", 2, "q3", "q4"]
    q1, q2, q3, q4 = rows
    assert q1["question"] == BREAKFAST
    assert (q1["refused"], q1["language"], q1["citations"][0]["section"]) == (False, "fr", "Atelier n°2")
    assert "1,30 €" in q1["answer"]
    assert (q2["refused"], q2["language"], q2["citations"][0]["section"]) == (False, "en", "Atelier n°1")
    assert "05 49 37 56 30" in q2["answer"]
    assert (q3["refused"], q3["citations"][0]["section"]) == (False, "Atelier n°2")
    assert "DSDEN" in q3["answer"]
    assert q4["refused"] is True and q4["citations"] == []
    # written atomically: no temporary file left beside the output
    assert [p.name for p in out.parent.iterdir()] == ["out.jsonl"]


@pytest.mark.parametrize("bad_line, expected", [
    ({"id": "b", "history": []}, "question"),  # missing question
    ("{not json", "line 2"),
    ({"id": "b", "question": "ok", "history": [{"role": "system", "content": "x"}]}, "role"),
    ({"id": "b", "question": "   "}, "the question is empty"),
    ({"id": "a", "question": "atelier 3"}, "id 'a' already used on line 1"),
])
def test_batch_invalid_line_exits_2_and_writes_nothing(cli_env, tmp_path, bad_line, expected):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_jsonl(src, [{"id": "a", "question": BREAKFAST}, bad_line, {"id": "c", "question": "atelier 12"}])
    proc = run(["ask", "--batch", str(src), "--out", str(out)], cli_env, tmp_path)
    assert proc.returncode == 2
    assert "line 2:" in proc.stderr
    assert expected in proc.stderr
    assert "nothing answered" in proc.stderr
    assert "line 1:" not in proc.stderr and "line 3:" not in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.jsonl"]


def test_batch_line_not_in_utf8_is_named(cli_env, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b'{"id": "a", "question": "atelier 1"}\n{"id": "b", "question": "caf\xe9 ?"}\n')
    proc = run(["ask", "--batch", str(src), "--out", str(out)], cli_env, tmp_path)
    assert proc.returncode == 2 and "line 2: not UTF-8 text" in proc.stderr and "Invalid option" not in proc.stderr
    assert not out.exists()


def test_a_killed_batch_keeps_its_answers_and_resumes_after_them(assistant, tmp_path):
    from guide_assistant.batch import BatchItem, partial_path, run_batch

    items = [BatchItem(id="a", question=BREAKFAST), BatchItem(id="b", question="atelier 12"),
             BatchItem(id="c", question="Qui contacter pour la cantine à 1 € ?")]
    partial = partial_path(tmp_path / "out.jsonl")
    first = assistant.ask(BREAKFAST).to_public(id="a") | {"latency_s": 123.0}  # marks the kept answer
    partial.write_text(json.dumps(first, ensure_ascii=False) + "\n" + '{"id": "b", "quest', encoding="utf-8")
    records = run_batch(assistant, items, partial, show_progress=False)
    assert [r["id"] for r in records] == ["a", "b", "c"] and records[0]["latency_s"] == 123.0
    assert "05 49 37 56 30" in records[2]["answer"]
    lines = partial.read_text(encoding="utf-8").splitlines()
    assert lines[1] == '{"id": "b", "quest'  # the cut line stays alone
    assert [json.loads(line)["id"] for line in lines[2:]] == ["b", "c"]  # each new answer appended as it came


def test_batch_without_out_exits_2(cli_env, tmp_path):
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [{"id": "a", "question": BREAKFAST}])
    proc = run(["ask", "--batch", str(src)], cli_env, tmp_path)
    assert proc.returncode == 2
    assert "--out" in proc.stderr


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_exits_2(cli_env, tmp_path, question):
    proc = run(["ask", "--json", question], cli_env, tmp_path)
    assert proc.returncode == 2
    # the message is the error line itself (other lines may be library logging)
    assert any(line.startswith("Error: The question is empty") for line in proc.stderr.splitlines())
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_too_long_question_exits_2(cli_env, tmp_path):
    proc = run(["ask", "x" * 10_000], cli_env, tmp_path)
    assert proc.returncode == 2
    assert "10000" in proc.stderr and "2000" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_ask_plain_text_lists_sources(cli_env, tmp_path):
    proc = run(["ask", "atelier 12"], cli_env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Atelier n°12" in proc.stdout
    assert "Sources:" in proc.stdout
    assert "p. 15" in proc.stdout or "p. 16" in proc.stdout


def test_ingest_command_missing_corpus(cli_env, tmp_path):
    env = cli_env | {"GUIDE_ASSISTANT_INGEST__CORPUS_DIR": str(tmp_path / "no-corpus")}
    proc = run(["ingest"], env, tmp_path)
    assert proc.returncode == 2
    assert "no-corpus" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_ingest_command_lists_sections(cli_env, tmp_path):
    proc = run(["ingest", "--json"], cli_env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert len(data) == N_SECTIONS
    first = next(s for s in data if s["label"] == "Atelier n°1")
    assert first["pages"] == [6] and first["place"] == "Capendu, Aude"


def test_index_command_reports_up_to_date(cli_env, tmp_path, index_dir):
    proc = run(["index"], cli_env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Index up to date" in proc.stdout
    assert str(index_dir) in proc.stdout
