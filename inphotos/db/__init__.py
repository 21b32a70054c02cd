"""The ObjectBox store: photo and folder entities, vector search. Plain Python, no Qt."""
