"""Lambda runner of the twin: runs deployed zips in warm worker processes (see runner.py)."""

from twin.lambdas.runner import Invocation, LambdaRunner

__all__ = ["Invocation", "LambdaRunner"]
