"""The project's exceptions. Each message is written for the user and says what to do."""


class GuideAssistantError(Exception):
    """Base class: the CLI prints the message (no traceback) and exits with code 2."""


class CorpusError(GuideAssistantError):
    """The corpus folder is missing, empty, or holds no readable PDF."""


class IndexMissingError(GuideAssistantError):
    """No index exists at the configured path."""


class IndexMismatchError(GuideAssistantError):
    """The index on disk was built with other settings, another embedder or another corpus."""


class IndexCorruptError(GuideAssistantError):
    """The index on disk cannot be read (truncated, edited, half-written)."""


class QuestionError(GuideAssistantError):
    """The question cannot be answered as given (empty, too long)."""


class ChunkingError(GuideAssistantError, ValueError):
    """The sections cannot be cut with the configured chunk size and overlap (a chunk over the
    embedder's limit, an overlap over the size, a section heading longer than a chunk)."""


class EmbedderError(GuideAssistantError):
    """The embedding model cannot be loaded (unknown name, package not installed)."""


class IndexWriteError(GuideAssistantError):
    """The index could not be written (disk full, no permission); the previous index is kept."""


class ReviewLoginError(GuideAssistantError):
    """The Revue login is configured without a usable password."""
