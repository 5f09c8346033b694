"""pyepoll's core test suite: real kernel objects, both backends, select.epoll as the reference."""
