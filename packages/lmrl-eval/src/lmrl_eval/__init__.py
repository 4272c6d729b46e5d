"""lmrl-eval: batched evaluation, the paper's score normalisation, reports and the benchmark."""

__version__ = "0.1.0"
