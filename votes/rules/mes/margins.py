"""How far the float filter of the MES runs trusts its floats."""

# Relative margin under which float results are recomputed exactly. Float error in these
# sums is about 1e-16 times the number of terms, far below this.
MARGIN = 1e-9
# One unit in the last place of a float of size 1: the step of the running error bounds.
EPS = 2.0**-52
