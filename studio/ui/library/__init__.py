"""The Library dock: a lazy grid of every take (generated or imported)."""
