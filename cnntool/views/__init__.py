"""Rich renderables of the core's reports (explainers, summaries, training, grading), shared by
`cnntool.cli` and `cnntool.tui`.

The layer between the pure core and the shells: it may import rich and the core,
never `cnntool.cli` or `cnntool.tui`, and nothing in the core
imports it. Every view function returns a renderable (a rich Group, Table or
Text); only the shells print them.
"""
