"""nianbao's result contract: pydantic models and canonical keys. Imports nothing from service/."""

from schemas.keys import (
    APPLICANT_COLUMNS,
    FACT_KEYS,
    QUALIFIERS,
    REQUEST_COLUMNS,
    REVIEW_BLOCKS,
    REVIEW_COLUMNS,
    VERSIONS,
    Version,
    cell_keys,
    request_rows,
)
from schemas.options import ExtractOptions
from schemas.result import (
    SCHEMA_VERSION,
    Cell,
    CellState,
    Check,
    CheckStatus,
    Disagreement,
    DocumentInfo,
    Extraction,
    Fact,
    FactReading,
    Grounded,
    Meta,
    NarrativeUsage,
    Problem,
    RejectedFact,
    Repair,
    Section,
    Span,
    TableInfo,
    Warning,
)

__all__ = [
    "APPLICANT_COLUMNS", "FACT_KEYS", "QUALIFIERS", "REQUEST_COLUMNS", "REVIEW_BLOCKS", "REVIEW_COLUMNS",
    "SCHEMA_VERSION", "VERSIONS", "Cell", "CellState", "Check", "CheckStatus", "Disagreement", "DocumentInfo",
    "ExtractOptions",
    "Extraction", "Fact", "FactReading", "Grounded", "Meta", "NarrativeUsage", "Problem", "RejectedFact", "Repair",
    "Section", "Span", "TableInfo", "Version", "Warning", "cell_keys", "request_rows",
]
