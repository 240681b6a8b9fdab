"""Where consumers' rows go: the protocol, one module per kind of destination, and the resource that picks one."""
