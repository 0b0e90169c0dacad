"""How dossiers arrive: pulled from the province's one-stop platform (``platform_sync``) or read from an officials'
CSV/XLSX export (``spreadsheet_import``)."""
