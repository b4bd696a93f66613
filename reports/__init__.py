"""report.json / report.html / report.csv: one model, three writers."""
