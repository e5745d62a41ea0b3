"""Checks that count, shared by every Python judge (judge.py, kc_judge.py, pki_judge.py).

A judge declares up front how many checks it makes (`plan(n)`, printed as `compat-judge: plan n`)
and ends with `finish(what)`, which prints `compat-judge: ran m` and fails when m != n.
compat/counted.sh reads both lines: a judge that stops early, skips checks or makes a number of
them that depends on timing turns the run red even when it exits 0."""

import sys

planned = None
checks = 0


def plan(n):
    """How many checks this judge makes, every run: a fixed number, before the first."""
    global planned
    if planned is not None:
        raise AssertionError("plan() called twice")
    planned = n
    print("compat-judge: plan %d" % n, flush=True)


def check(condition, what):
    """A check that counts; the first failed one stops the judge."""
    global checks
    if planned is None:
        raise AssertionError("check() before plan(): %s" % what)
    if not condition:
        raise AssertionError(what)
    checks += 1


def finish(what):
    """The end of a judge: the count line, and exit status 1 when it differs from the plan."""
    print("%s: %d checks passed" % (what, checks))
    print("compat-judge: ran %d" % checks, flush=True)
    if checks != planned:
        print("%s: planned %s checks, ran %d" % (what, planned, checks), file=sys.stderr)
        sys.exit(1)
