"""`cnntool tui`: the interactive walkthrough, a Textual app (builder, stepper, trainer).

A thin shell over the core: the builder calls `cnntool.arith` (summarize, the table's
columns), the stepper the explainer API (run_conv, run_pool), the trainer `cnntool.data`
and `engine.fit`; `cnntool.views` draws. Nothing is imported here, so `cnntool.cli` can
name this package without importing textual; `cnntool.tui.app.CnnToolApp` is the app.
See docs/tui.md.
"""
