"""Command-line shells over the pure core: parse input, call, render. Nothing heavy at import."""
