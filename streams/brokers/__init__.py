"""Local brokers for the demo and the tests: the embedded Tansu and Apache Kafka from its own jars."""
