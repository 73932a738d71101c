"""The data the stages hand on: the document model every extract backend fills, and the
curated tables' schemas."""

from .document import DOCUMENT_SCHEMA_VERSION, Block, Cell, Metadata, Notice, Part, Source, Table
from .tables import SCHEMA_VERSION, SCHEMAS, NoticeRecord

__all__ = ["DOCUMENT_SCHEMA_VERSION", "SCHEMAS", "SCHEMA_VERSION", "Block", "Cell", "Metadata", "Notice", "NoticeRecord", "Part", "Source", "Table"]
