"""Rich views: turn the core's report dataclasses into renderables (tables, panels); they never print."""
