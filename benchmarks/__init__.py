"""Benchmarks the issues ask for; `make bench` runs them all and prints their figures."""
