"""The gateway node's process model: prefix layout, listening sockets, the supervisor and its workers."""
