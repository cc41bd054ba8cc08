"""news-streams: a Kafka + Faust pipeline that dedups news stories and tags real-world events."""

__version__ = "0.1.0"
