"""The submission pipeline: from what a user types to one request in the queue."""
