"""Benchmarks for sekisho: load runs against nginx and Apache httpd (``python -m bench.harness``)."""
