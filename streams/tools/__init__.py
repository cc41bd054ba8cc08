"""Commands: the CLI, the demo and its report, the replayer, chaos runs."""
