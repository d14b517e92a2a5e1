"""Waiting for requests to complete (``wait``: pure; ``loop``: the polling).

Imports nothing: ``core`` loads the modules on first use.
"""
