"""What may be tried: the language catalog, typology and diversity, subset heuristics, search spaces."""
