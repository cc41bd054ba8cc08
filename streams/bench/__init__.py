"""Benchmarks: end to end through Kafka, in process (--micro), and the long-run memory check."""
