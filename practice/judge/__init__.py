"""The practice judge's execution core: run a Python submission in the sandbox, then grade it outside.

No Django here: the site's Celery task and the GPU runner both call ``run_submission`` and ``grade``.
"""

from .checkers import load_checker
from .grading import VERDICTS, TestVerdict, Verdict, close_equal, exact_equal, fit_exponent, grade
from .runner import MAX_SOURCE_BYTES, UNSAFE_ENV, RunReport, TestRun, run_submission

__all__ = [
    "MAX_SOURCE_BYTES",
    "UNSAFE_ENV",
    "VERDICTS",
    "RunReport",
    "TestRun",
    "TestVerdict",
    "Verdict",
    "close_equal",
    "exact_equal",
    "fit_exponent",
    "grade",
    "load_checker",
    "run_submission",
]
