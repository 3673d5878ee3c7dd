"""Rich renderables for what the core computes: the layer between the core and the shells.

A view takes core data (a `Summary`, an explainer's result) and returns a rich
renderable; it never prints, reads input or exits. Only `cnntool.cli` and
`cnntool.tui` import views, so the core never depends on rich.
"""
