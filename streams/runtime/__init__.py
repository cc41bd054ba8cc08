"""The Faust runtime: the app, one agent per stage, the topology, rebuilds from input partitions, metrics."""
