"""Qt glue: QThread workers that drive the engine; the only place Qt meets it."""
