"""The data the stages hand on: the document model every extract backend fills (here), and the
curated tables' schemas (model.tables, imported where tables are made: it imports pyarrow)."""

from .document import DOCUMENT_SCHEMA_VERSION, Block, Cell, Metadata, Notice, Part, SchemaMismatch, Source, Table

__all__ = ["DOCUMENT_SCHEMA_VERSION", "Block", "Cell", "Metadata", "Notice", "Part", "SchemaMismatch", "Source", "Table"]
