"""Widgets of the app: the spec editor, the layer table, the training curves."""
