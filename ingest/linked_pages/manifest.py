"""The cache's manifest, ``manifest.jsonl``: one JSON object per URL (fields in the package
docstring), lines that are not valid JSON kept verbatim."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from guide_assistant.atomic import write_atomic
from guide_assistant.ingest.links import normalise_url

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.jsonl"


@dataclass
class Manifest:
    """The cache manifest: entries (dicts) and unreadable lines (kept verbatim), in file order."""

    path: Path
    items: list[dict | str] = field(default_factory=list)

    @staticmethod
    def key(url: str) -> str:
        """The URL an entry is found by: normalised, else stripped."""
        return normalise_url(url) or url.strip()

    @classmethod
    def read(cls, pages_dir: Path) -> "Manifest":
        """Read `pages_dir/manifest.jsonl` (an absent file is an empty manifest). Later lines for
        the same URL replace earlier ones; a bad line is logged and kept verbatim."""
        path = Path(pages_dir) / MANIFEST_NAME
        manifest = cls(path)
        if not path.exists():
            return manifest
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                    raise ValueError('not an object with a "url" string')
            except ValueError as exc:
                log.warning("%s line %d ignored (%s); it is kept as is.", path, n, exc)
                manifest.items.append(line)
                continue
            manifest.put(entry)
        return manifest

    def find(self, url: str) -> dict | None:
        """The entry for `url` (compared normalised), None when there is none."""
        key = self.key(url)
        return next((e for e in self.items if isinstance(e, dict) and self.key(e["url"]) == key), None)

    def put(self, entry: dict) -> None:
        """Replace the entry for the same URL (keeping its position) or append it."""
        key = self.key(entry["url"])
        for i, item in enumerate(self.items):
            if isinstance(item, dict) and self.key(item["url"]) == key:
                self.items[i] = entry
                return
        self.items.append(entry)

    def entries(self) -> list[dict]:
        """The readable entries, in file order."""
        return [e for e in self.items if isinstance(e, dict)]

    def write(self) -> None:
        """Rewrite the manifest atomically (one JSON object per line, UTF-8)."""
        lines = [item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for item in self.items]
        write_atomic(self.path, ("\n".join(lines) + "\n").encode("utf-8"))


def is_saved_by_organiser(entry: dict) -> bool:
    """An organiser's line: it names a file and was not written by `fetch_links`."""
    return bool(entry.get("file")) and entry.get("origin") != "fetched"


def has_content(entry: dict | None, pages_dir: Path) -> bool:
    """The entry names a text file that exists in `pages_dir`."""
    return bool(entry and entry.get("text_file") and (pages_dir / entry["text_file"]).exists())
