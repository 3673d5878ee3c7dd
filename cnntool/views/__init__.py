"""Rich renderables of the explainers' reports, shared by `cnntool.cli` and the future `cnntool.tui`.

The layer between the pure core and the shells: it may import rich and
`cnntool.explain`, never `cnntool.cli` or `cnntool.tui`, and nothing in the core
imports it. Every view function returns a renderable (a rich Group, Table or
Text); only the shells print them.
"""
