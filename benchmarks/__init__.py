"""Benchmarks (not run by the test suite): ``python -m benchmarks.<name>``; results in results/."""
