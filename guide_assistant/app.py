"""The chat page (Gradio): French interface, example questions, answers with a sources panel
and links that open the guide PDF at the cited page. The organisers' Revue is another Gradio app
(`review_tab.py`), mounted on the same server at /revue behind a login, or not at all.

The assistant (embedder + index) loads once per process, in a background thread, while the
page shows a status line; every session shares it. Chat requests are answered concurrently
(`app.concurrency`); the local model's calls take turns (`assistant.generate.GENERATION_LOCK`).
"""

from __future__ import annotations

import html
import logging
import threading
from pathlib import Path
from urllib.parse import quote

import gradio as gr
from fastapi import FastAPI

from guide_assistant.assistant.service import Assistant
from guide_assistant.config import AppSettings, Settings
from guide_assistant.errors import GuideAssistantError
from guide_assistant.feedback import REASONS, ReviewStore
from guide_assistant.records import Answer, Section, Turn
from guide_assistant.review_login import ReviewLogin, how_to_enable, review_login
from guide_assistant.review_tab import build_review_app, record_feedback
from guide_assistant.server import PageServer

log = logging.getLogger(__name__)

EXAMPLES = [
    "Comment financer des petits déjeuners à l'école ?",
    "Qui contacter pour la cantine à 1 € ?",
    "Qu'est-ce qui existe pour les 16-25 ans ?",
    "How can my town help people in debt?",
]
DRAFT_NOTE = "*Réponse en cours de rédaction, puis vérification des chiffres et contacts…*"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_UPLOAD = "10kb"  # the page takes no file: Gradio's upload route would otherwise take 30 MB from anyone
# Gradio writes <html lang="en"> (and again after loading, from the browser's locale): the page is
# French, so that screen readers read it with a French voice. `FrenchPages` puts this script, and a
# <title>, into every HTML page of the server, the Revue's login form included (Gradio adds a
# Blocks' `head` only once logged in).
FRENCH_PAGE = ("<script>(() => { const root = document.documentElement;"
               " const fr = () => { if (root.lang !== 'fr') root.lang = 'fr'; }; fr();"
               " new MutationObserver(fr).observe(root, {attributes: true, attributeFilter: ['lang']}); })();"
               "</script>")
# Accessibility (axe-core audit, tests/test_accessibility.py). White on the default theme's orange
# primary button (#f97316) has a contrast of 2.8:1; orange-700 gives 5.2:1 (WCAG AA asks 4.5:1).
THEME = gr.themes.Default().set(button_primary_background_fill="*primary_700",
                                button_primary_background_fill_hover="*primary_800",
                                button_primary_background_fill_dark="*primary_700",
                                button_primary_background_fill_hover_dark="*primary_800")
# Gradio's footer links (API, "Built with Gradio", runs, settings) are light grey on white (1.9:1).
PAGE_CSS = "footer a, footer button { color: #4b5563 !important; }"
TITLE = "Assistant du guide des élus — Stratégie nationale de prévention et de lutte contre la pauvreté"
INTRO = ("Posez une question sur le guide de la conférence régionale du 7 juillet 2021 (Occitanie). "
         "Chaque réponse cite l'atelier et la page du guide. *Questions in English are answered in English.*")


class AssistantHolder:
    """Loads the assistant once, in the background; `status` is the page's status line."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.assistant: Assistant | None = None
        self.done = False  # loaded and warmed (or failed): the status line stops changing
        self.status = "Chargement de l'index (première utilisation : construction, environ une minute)…"
        self._thread = threading.Thread(target=self._load, daemon=True)

    def start(self) -> "AssistantHolder":
        self._thread.start()
        return self

    def _load(self) -> None:
        try:
            self.assistant = Assistant.from_settings(self.settings, show_progress=True)
        except GuideAssistantError as exc:
            self.status = f"Erreur : {exc}"
            log.error("%s", exc)
            self.done = True
            return
        except Exception as exc:  # a bug must not leave the page on « Chargement… » forever
            log.exception("The assistant could not be loaded.")
            self.status = (f"Erreur inattendue au chargement ({type(exc).__name__} : {exc}). Le détail est dans le "
                           "journal du serveur ; `guide-assistant index --rebuild` reconstruit l'index.")
            self.done = True
            return
        ready = f"Prêt — {len(self.assistant.index.sections)} sections du guide indexées."
        edition = self.assistant.scope.edition
        if edition:  # every figure of an answer dates from the guide's edition
            ready += (f" **Édition du guide : {edition.long('fr')}** — les montants et dispositifs cités datent "
                      f"de cette édition.")
        self.status = ready
        if self.settings.llm.warm_states:
            try:  # an optimisation only: on failure, answers evaluate their whole prompt
                self.assistant.warm(progress=self._warm_status)
            except Exception:
                log.exception("Prompt-prefix states could not be saved.")
        self.status, self.done = ready, True

    def _warm_status(self, done: int, total: int) -> None:
        n = len(self.assistant.index.sections)
        self.status = (f"Prêt — {n} sections du guide indexées. Préparation du modèle (première utilisation) : "
                       f"section {done}/{total} ; les réponses peuvent être plus lentes d'ici là.")

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


def pdf_link(settings: Settings, source: str, page: int) -> str:
    """URL that opens `source` (a corpus PDF) at `page` through Gradio's file route."""
    path = (settings.ingest.corpus_dir / source).resolve()
    return f"/gradio_api/file={quote(str(path))}#page={page}"


def sources_markdown(answer: Answer, settings: Settings, sections: dict[str, Section]) -> str:
    """The sources panel: each cited section once (title, clickable pages: the printed page
    label shown, the PDF page position opened, in the section's own PDF), then its quoted
    passages. `sections`: the index's records by label."""
    if not answer.citations:
        return "*Aucune source : le guide ne couvre pas cette question.*"
    groups: dict[tuple[str, str], list] = {}
    for c in answer.citations:
        groups.setdefault((c.section, c.title), []).append(c)
    rows = []
    for (section, title), cites in groups.items():
        pages = sorted({p for c in cites for p in c.pages})
        record = sections.get(section) or next(iter(sections.values()))
        links = ", ".join(f"[{record.page_span([p])}]({pdf_link(settings, record.source, p)})" for p in pages)
        quotes = "\n".join(f"> « {c.quote} »  " for c in cites)
        rows.append(f"**{section}** — {title} ({links})\n\n{quotes}")
    return "\n\n".join(rows)


def shown(text: str) -> str:
    """`text` as a chat bubble shows it: "&" and "<" escaped, so that HTML typed in a question
    (`<img src=…>`, `<a href="javascript:…">`) is displayed, never fetched or run; Markdown
    (quotes, bold, links) is unchanged."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


def error_line(exc: GuideAssistantError) -> str:
    """The page's line for a question it cannot read, in French (the French half of a bilingual
    message "English. / Français.")."""
    return f"Erreur : {str(exc).split(' / ')[-1]}"


def message_text(content) -> str:
    """Text of a Gradio message content: a string, or a list of parts {"type": "text", "text"}."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else [content]
    return "\n".join(p.get("text", "") for p in parts if isinstance(p, dict))


def history_turns(messages: list[dict]) -> list[Turn]:
    """Gradio chat messages → our Turn records (text content only, as typed: see `shown`)."""
    return [Turn(role=m["role"], content=html.unescape(message_text(m["content"])))
            for m in messages if m.get("role") in ("user", "assistant")]


def on_like(store: ReviewStore, messages: list[dict], reason: str | None, comment: str,
            data: gr.LikeData) -> str:
    """Store a thumbs up/down given with the chat's buttons on an assistant message."""
    i = data.index if isinstance(data.index, int) else data.index[0]
    answer = html.unescape(message_text(messages[i]["content"]))
    question = next((html.unescape(message_text(m["content"])) for m in reversed(messages[:i])
                     if m["role"] == "user"), "")
    fid = record_feedback(store, question, answer, "up" if data.liked else "down",
                          reason if not data.liked else None, comment)
    return f"Merci : avis n°{fid} enregistré."


def build_app(holder: AssistantHolder, store: ReviewStore) -> gr.Blocks:
    """The chat's Blocks app. API endpoints: `/respond` (chat), `/ask` (one question → JSON),
    `/feedback` (rate an answer, bounded sizes); nothing of the Revue (see `build_review_app`)."""
    settings = holder.settings

    def respond(message: str, messages: list[dict]):
        """Stream the draft (generative mode) marked as being checked, then the checked answer
        with its sources."""
        messages = list(messages or [])
        if holder.assistant is None:
            yield messages, "", holder.status
            return
        history = history_turns(messages)
        draft = ""
        try:
            for event in holder.assistant.ask_stream(message, history):
                if isinstance(event, str):
                    draft += event
                    bubbles = [{"role": "user", "content": shown(message)},
                               {"role": "assistant", "content": shown(f"{DRAFT_NOTE}\n\n{draft}")}]
                    yield messages + bubbles, "", holder.status
                    continue
                answer = event
        except GuideAssistantError as exc:  # in the status line, in view; the question stays in its box
            gr.Warning(error_line(exc))
            yield messages, "", error_line(exc)
            return
        messages += [{"role": "user", "content": shown(answer.question)},
                     {"role": "assistant", "content": shown(answer.answer)}]
        yield messages, sources_markdown(answer, settings, holder.assistant.index.sections), holder.status

    def ask_json(question: str) -> dict:
        if holder.assistant is None:
            raise gr.Error(holder.status)
        try:
            return holder.assistant.ask(question).to_public()
        except GuideAssistantError as exc:
            raise gr.Error(str(exc))

    def feedback_api(question: str, answer: str, rating: str, reason: str = "", comment: str = "") -> int:
        if rating not in ("up", "down"):
            raise gr.Error('rating must be "up" or "down"')
        return record_feedback(store, question, answer, rating, reason or None, comment)

    with gr.Blocks(title="Assistant du guide des élus", analytics_enabled=False) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}")
        status = gr.Markdown(holder.status)
        with gr.Column():
            # no "share" button: it posts to a hosting site's discussions (not offline) and has no name
            chatbot = gr.Chatbot(label="Conversation", height=460, feedback_options=("Like", "Dislike"),
                                 buttons=["copy", "copy_all"])
            box = gr.Textbox(label="Votre question",
                             placeholder="Ex. : Comment financer des petits déjeuners à l'école ?")
            with gr.Row():
                send = gr.Button("Envoyer", variant="primary")
                stop = gr.Button("Arrêter")
                clear = gr.Button("Nouvelle conversation")
            gr.Examples(EXAMPLES, inputs=box, label="Exemples")
            with gr.Accordion("Sources de la dernière réponse", open=False):
                sources = gr.Markdown()
            with gr.Accordion("Votre avis (pouce levé / baissé sous chaque réponse)", open=False):
                reason = gr.Radio(list(REASONS), label="Raison d'un pouce baissé (facultatif)")
                comment = gr.Textbox(label="Commentaire (facultatif)")
                fb_status = gr.Markdown()

            def like(messages: list[dict], why: str | None, note: str, data: gr.LikeData) -> str:
                return on_like(store, messages, why, note, data)

            chatbot.like(like, [chatbot, reason, comment], fb_status, api_visibility="private")
        timer = gr.Timer(1.0)
        timer.tick(lambda: (holder.status, gr.Timer(active=not holder.done)), outputs=[status, timer],
                   api_visibility="private")
        events = []
        for trigger, api in ((box.submit, {"api_name": "respond"}), (send.click, {"api_visibility": "private"})):
            event = trigger(respond, [box, chatbot], [chatbot, sources, status], **api)  # one public /respond
            # the box is emptied once answered; a question the page could not read stays in it
            event.then(lambda text, line: text if line.startswith("Erreur") else "", [box, status], box,
                       api_visibility="private")
            events.append(event)
        stop.click(None, cancels=events, api_visibility="private")
        clear.click(lambda: ([], ""), outputs=[chatbot, sources], api_visibility="private")
        gr.api(ask_json, api_name="ask")
        gr.api(feedback_api, api_name="feedback")
    return demo


def section_labels(holder: AssistantHolder) -> list[str]:
    """The guide's section labels once the index is loaded (none before)."""
    return [] if holder.assistant is None else list(holder.assistant.index.sections)


def announce(app: AppSettings, login: ReviewLogin | None) -> None:
    """Log, once, what the page serves to whom: without a Revue login, how to enable it (a
    warning naming the open chat when bound beyond this machine); with one beyond this machine,
    that its password travels in clear unless an HTTPS proxy stands in front."""
    exposed = app.host not in LOOPBACK
    if login is None and exposed:
        log.warning("The page is bound to %s, beyond this machine, WITHOUT a Revue login: the chat and its "
                    "feedback are open to anyone who can reach port %d. %s", app.host, app.port, how_to_enable(app))
    elif login is None:
        log.warning("%s", how_to_enable(app))
    elif exposed:
        log.warning("The page is bound to %s, beyond this machine: the Revue's password travels in clear over "
                    "HTTP unless an HTTPS proxy stands in front of port %d.", app.host, app.port)


class FrenchPages:
    """ASGI middleware: each HTML page the server sends gets FRENCH_PAGE (lang="fr") and, when it
    has none, a <title> right after <head>. Other responses (API, events, files) pass untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        title = "Revue — Assistant du guide des élus" if scope["path"].startswith("/revue") else TITLE
        start: dict = {}
        body: list[bytes] = []

        async def rewrite(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"text/html") or b"content-encoding" in headers:
                    start = {}
                    await send(message)
                else:
                    start = message
                return
            if not start or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = b"".join(body).decode("utf-8")
            head = FRENCH_PAGE if "<title" in page.split("</head>")[0] else \
                f"<title>{html.escape(title)}</title>{FRENCH_PAGE}"
            page = page.replace("<head>", "<head>" + head, 1).encode("utf-8")
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send(start | {"headers": headers + [(b"content-length", str(len(page)).encode())]})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, rewrite)


def build_server(holder: AssistantHolder, store: ReviewStore, login: ReviewLogin | None) -> FastAPI:
    """One FastAPI app: the Revue at /revue behind `login` (not mounted without one), then the
    chat at "/"."""
    settings = holder.settings
    server = FastAPI()
    server.add_middleware(FrenchPages)
    page = {"show_error": True, "max_file_size": MAX_UPLOAD, "theme": THEME, "css": PAGE_CSS}
    if login is not None:
        revue = build_review_app(store, settings.app.runs_dir, settings.app.candidates_file,
                                 labels=lambda: section_labels(holder))
        revue.queue(default_concurrency_limit=1)  # one writer at a time on the review files
        gr.mount_gradio_app(server, revue, path="/revue", auth=login.check,
                            auth_message="Revue des réponses : réservée aux organisateurs.", **page)
        log.info("The Revue page is served at /revue for the login %r.", login.user)
    chat = build_app(holder, store)
    chat.queue(default_concurrency_limit=settings.app.concurrency)
    # Gradio's file cache is one folder for both apps: the Revue's CSV export lands there. The chat
    # makes no file and takes no upload, so it serves none from it (only the guide's PDF).
    gr.mount_gradio_app(server, chat, path="/", allowed_paths=[str(Path(settings.ingest.corpus_dir).resolve())],
                        blocked_paths=[chat.GRADIO_CACHE], **page)
    return server


def launch(settings: Settings, block: bool = True) -> PageServer:
    """Serve the chat page on settings.app.host:port (127.0.0.1 by default), and the Revue at
    /revue when a login is configured. With `block`, serve until interrupted; else return the
    started server (its `close()` stops it). Raises ReviewLoginError for a Revue user without a
    usable password, ServerStartError when the port cannot be bound."""
    login = review_login(settings.app)
    announce(settings.app, login)
    holder = AssistantHolder(settings).start()
    server = PageServer(build_server(holder, ReviewStore(settings.app.review_db), login),
                        settings.app.host, settings.app.port, quiet=not block)
    if block:
        server.run()
        return server
    return server.start()
