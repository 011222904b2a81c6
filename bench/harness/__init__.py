"""The `make bench` harness: private nginx, Apache and sekisho instances on loopback, measured with wrk."""
