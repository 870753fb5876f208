"""The pages the guide links to: fetched politely or saved by organisers, cached with provenance.

The cache folder (``pages_dir``, default ``corpus/pages/``) holds, per URL, the raw content
(``<key>.html`` or ``<key>.pdf``) and its extracted main text (``<key>.txt``), where ``<key>`` is
the first 24 hex digits of the SHA-256 of the normalised URL, and one manifest,
``manifest.jsonl``: one JSON object per line, one line per URL. Every write is atomic
(`guide_assistant.atomic`), so an interrupted run leaves the old file.

Saved pages (public format for organisers)
------------------------------------------
When a site cannot be fetched (no network, robots.txt forbids it, a login wall), save the page
(HTML or PDF) into ``corpus/pages/`` and add one line to ``corpus/pages/manifest.jsonl``::

    {"url": "https://www.asp-public.fr/tarification-sociale-des-cantines-scolaires", "file": "asp.html", "sections": ["Atelier n°1"]}

* ``url`` (required): the address of the page, as the guide cites it.
* ``file`` (required): the saved file's name inside ``corpus/pages/`` (``.html``, ``.htm`` or
  ``.pdf``; other names are recognised by their content).
* ``sections`` (optional): labels of the guide's sections citing the page ("Atelier n°1",
  "Table-ronde I", …); a single string is accepted too. When missing, the sections that
  `discover_links` finds for the URL are used (pass ``links`` to `cache.load_saved_pages`).
* ``pages`` (optional): the guide's pages citing it; ``title`` (optional): the page's title.

`cache.load_saved_pages` (called by every index build) only reads: a saved file whose text is
not cached yet, or changed since (its SHA-256 no longer matches the manifest), is extracted in
memory. `cache.cache_saved_texts` (run by ``guide-assistant fetch-links``) writes such texts
into ``<key>.txt`` and adds ``sha256``, ``title``, ``text_file`` and ``fetched_at`` (the file's
modification time) to the line. `fetch.fetch_links` never fetches over an organiser's line (a
line with a ``file`` and no ``"origin": "fetched"``): the organiser's copy wins.

Lines written by `fetch.fetch_links` carry: url, origin ("fetched"), final_url, redirects (list
of {url, status, location}), status (HTTP status of the cached content), ok (did the last
attempt succeed), reason (why it failed, else null), fetched_at (ISO 8601 UTC time of the cached
content), last_attempt, last_status, content_type, sha256 (of the raw content), title, file,
text_file, sections (citing section labels) and pages (citing guide pages). A failed refresh
never drops cached content: only ok, reason, last_attempt, last_status, sections and pages
change. A line that is not valid JSON is kept verbatim (and reported) when the manifest is
rewritten.

Fetching is polite: one user agent naming the project, robots.txt honoured for every URL and
redirect hop (`robots`), at most `concurrency` requests at a time, HTML and PDF only, a size cap
and timeouts (`http`). When every attempted URL fails to connect (DNS failure, connection
refused, connect timeout), the network is taken as unreachable: nothing is written and the
report says "network unreachable; cache kept".

Modules: `records` (typed results), `extract` and `html_text` (content kind, main text),
`manifest`, `robots`, `http` (one download), `cache` (stored pages, loading), `fetch`
(orchestration). Only one process should write a given cache folder at a time.
"""
