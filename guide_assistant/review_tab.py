"""The Revue page, served apart from the chat at /revue behind the organisers' login
(`review_login.py`): organisers review the answers of an eval run, read the officials' feedback,
turn a thumbs-down into a candidate eval item, and export everything as CSV. Storage:
`feedback.py` (SQLite)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Callable

import gradio as gr
from pydantic import ValidationError

from guide_assistant.feedback import REASONS, VERDICTS, Feedback, Review, ReviewStore

RUN_COLUMNS = ["id", "type", "lang", "question", "answer", "refused", "all_facts", "citation_hit", "verdict"]
FEEDBACK_COLUMNS = ["id", "created_at", "rating", "reason", "comment", "question", "answer", "candidate"]


def list_runs(runs_dir: Path) -> list[str]:
    """Eval run folders (newest first) that hold an answers.jsonl."""
    if not runs_dir.is_dir():
        return []
    return sorted((p.name for p in runs_dir.iterdir() if (p / "answers.jsonl").exists()), reverse=True)


def run_answers(runs_dir: Path, run: str) -> list[dict]:
    """The answers.jsonl lines of a run (raises FileNotFoundError for an unknown run)."""
    path = runs_dir / run / "answers.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_table(runs_dir: Path, store: ReviewStore, run: str) -> list[list]:
    """Rows of the review table: each item of the run with its scores and current verdict."""
    if not run:
        return []
    verdicts = {r["item_id"]: r["verdict"] for r in store.reviews(run)}
    rows = []
    for a in run_answers(runs_dir, run):
        s = a.get("scores", {})
        rows.append([str(a["id"]), s.get("type", ""), s.get("lang", ""), a["question"], a["answer"][:300],
                     a["refused"], s.get("all_facts"), s.get("citation_hit"), verdicts.get(str(a["id"]), "")])
    return rows


def save_review(runs_dir: Path, store: ReviewStore, run: str, item_id: str, verdict: str, comment: str) -> str:
    """Store a verdict on one item of a run; returns a status line."""
    answers = {str(a["id"]): a for a in run_answers(runs_dir, run)} if run else {}
    if item_id not in answers:
        raise gr.Error(f"Choisissez une exécution et un identifiant de question existants (reçu : {item_id!r}).")
    a = answers[item_id]
    store.add_review(Review(run=run, item_id=item_id, question=a["question"], answer=a["answer"],
                            verdict=verdict, comment=comment or ""))
    return f"Avis enregistré : {item_id} → {verdict}"


def feedback_table(store: ReviewStore) -> list[list]:
    return [[r[c] for c in FEEDBACK_COLUMNS] for r in store.feedback()]


def record_feedback(store: ReviewStore, question: str, answer: str, rating: str, reason: str | None,
                    comment: str, language: str = "", sections: list[str] | None = None) -> int:
    """Store an official's rating of an answer; returns the feedback id. Raises gr.Error (shown
    in the page, nothing stored) for a rating that is not one of the chat's (an unknown reason,
    a comment over 2000 characters…)."""
    try:
        feedback = Feedback(question=question, answer=answer, rating=rating, reason=reason or None,
                            comment=comment or "", language=language, sections=sections or [])
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise gr.Error(f"Avis non enregistré : {'.'.join(map(str, problem['loc']))} — {problem['msg']}.")
    return store.add_feedback(feedback)


def export_file(store: ReviewStore) -> str:
    """Write the CSV export to a temporary file and return its path (for a download)."""
    out = Path(tempfile.mkdtemp(prefix="revue-")) / "revue.csv"
    out.write_text(store.export_csv(), encoding="utf-8")
    return str(out)


def build_review_tab(store: ReviewStore, runs_dir: Path, candidates: Path, labels: Callable[[], list[str]]) -> None:
    """The tab's components and events (call inside a gr.Blocks / gr.Tab context).
    `labels()` gives the guide's section labels once the index is loaded."""
    gr.Markdown("## Réponses d'une évaluation\nChoisissez une exécution de `guide-assistant eval`, puis "
                "notez une réponse : correcte, incorrecte ou incomplète.")
    with gr.Row():
        run = gr.Dropdown(list_runs(runs_dir), label="Exécution", value=None, allow_custom_value=False)
        refresh = gr.Button("Actualiser la liste")
    table = gr.Dataframe(headers=RUN_COLUMNS, label="Réponses", wrap=True, interactive=False)
    with gr.Row():
        item = gr.Textbox(label="Identifiant de la question (ex. q001)")
        verdict = gr.Radio(list(VERDICTS), label="Verdict", value="correct")
    comment = gr.Textbox(label="Commentaire")
    save = gr.Button("Enregistrer l'avis", variant="primary")
    status = gr.Markdown()

    refresh.click(lambda: gr.Dropdown(choices=list_runs(runs_dir)), outputs=run, api_visibility="private")
    run.change(lambda r: run_table(runs_dir, store, r), run, table, api_visibility="private")
    save.click(lambda r, i, v, c: (save_review(runs_dir, store, r, i.strip(), v, c), run_table(runs_dir, store, r)),
               [run, item, verdict, comment], [status, table], api_name="review")

    gr.Markdown("## Avis des élus sur les réponses du chat")
    fb = gr.Dataframe(headers=FEEDBACK_COLUMNS, value=lambda: feedback_table(store), label="Avis", wrap=True,
                      interactive=False)
    reload_fb = gr.Button("Actualiser les avis")
    gr.Markdown("Transformer un avis négatif en **question candidate** (ajoutée à "
                f"`{candidates}`, jamais directement au jeu d'évaluation) :")
    with gr.Row():
        fb_id = gr.Number(label="N° de l'avis", precision=0)
        source = gr.Dropdown(labels(), label="Section attendue (vide = le guide ne couvre pas)",
                             allow_custom_value=True)
        fact = gr.Textbox(label="Fait attendu (ex. 1,30 €)")
    reload_fb.click(lambda: (feedback_table(store), gr.Dropdown(choices=labels())), outputs=[fb, source],
                    api_visibility="private")
    to_cand = gr.Button("Créer la question candidate")
    cand_status = gr.Markdown()

    def candidate(i, s, f):
        try:
            item = store.to_candidate(int(i), s or "", (f or "").strip(), candidates)
        except (KeyError, ValueError, TypeError) as exc:
            raise gr.Error(str(exc))
        return f"Candidate ajoutée : `{json.dumps(item, ensure_ascii=False)}`", feedback_table(store)

    to_cand.click(candidate, [fb_id, source, fact], [cand_status, fb], api_name="candidate")
    gr.Markdown("## Export")
    export = gr.Button("Exporter avis et revues (CSV)")
    # hidden until there is a file: Gradio's empty file box is a <div aria-label> without a role,
    # which screen readers may not announce (axe-core: aria-prohibited-attr, serious)
    csv_file = gr.File(label="CSV", visible=False)
    export.click(lambda: export_file(store), outputs=csv_file, api_name="export").then(
        lambda: gr.File(visible=True), outputs=csv_file, api_visibility="private")


def build_review_app(store: ReviewStore, runs_dir: Path, candidates: Path, labels: Callable[[], list[str]]) -> gr.Blocks:
    """The Revue page as its own Blocks app (to mount behind a login; the chat app carries none
    of its endpoints). API endpoints: `/review`, `/candidate`, `/export`."""
    with gr.Blocks(title="Revue — Assistant du guide des élus", analytics_enabled=False) as revue:
        gr.Markdown("# Revue des réponses (organisateurs)")
        build_review_tab(store, runs_dir, candidates, labels)
    return revue


__all__ = ["build_review_app", "record_feedback", "REASONS"]
