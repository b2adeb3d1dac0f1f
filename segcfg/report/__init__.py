"""Reports: diagnostics and findings as text, JSON and SARIF."""
