"""Stage 3, resolve: which real-world event an article reports, and the aggregates per event, outlet and window."""
