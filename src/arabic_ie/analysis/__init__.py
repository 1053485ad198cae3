"""Benchmark analysis of training runs: finding runs in sweep folders, aggregate tables over seeds,
bootstrap confidence intervals and paired significance tests, SemEval-2013 9.1 style partial
scores, error categories and plots. Needs the `analysis` extra (matplotlib, nervaluate) only for
the plots and the SemEval scores; the statistics need numpy alone.
"""
