"""The officials' desk: the execution report (Biểu 07a), the service indicators (Decision 766), Resolution-57 tasks."""
