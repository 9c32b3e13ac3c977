"""LibCST transforms used by djfix: pure source -> source, one module per transformation."""
