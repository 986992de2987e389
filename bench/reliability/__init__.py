"""The reliability harness of issue 16: SIGKILL campaign, mutation fuzzer, hostile projects, tamper matrix.

`python bench/reliability/run.py` runs the long version and prints the table docs/reliability.md keeps;
tests/test_reliability_short.py runs each part briefly with the same code.
"""
