"""What a backend gives back: one typed result for every format."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Block, Metadata


@dataclass
class Reading:
    """What a backend read of a file: its blocks in reading order, its pages (PDF, OFD), what it
    could not read and went on without (a scanned page …), and what a page or a scraper's header
    says of the notice (HTML, text)."""

    blocks: list[Block]
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)
    metadata: Metadata = field(default_factory=Metadata)
