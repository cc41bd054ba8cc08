"""Pure pipeline logic: no Kafka, no Prometheus. One in-process Pipeline serves the worker, tests, eval and bench."""
