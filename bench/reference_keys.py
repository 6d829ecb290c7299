"""Which pabutools result in the shared reference.json each of our rules must reproduce.

Keys are the reference's vote types, then our rule names. Used by the conformance tests and
the benchmark, so both compare the same pairs.
"""

KEYS = {
    "approval": {
        "greedy": "greedy_cost",
        "greedy-per-cost": "greedy_card",
        "mes": "mes_cost",
        "mes-cardinality": "mes_card",
        "mes-greedy": "mes_cost_greedy",
        "mes-add1": "mes_cost_add1_pabulib",
        "phragmen": "seq_phragmen",
        "max-welfare": "max_welfare_cost",
    },
    "cumulative": {
        "greedy": "greedy_score",
        "greedy-per-cost": "greedy_cardinal",
        "mes": "mes_cardinal",
        "mes-greedy": "mes_cardinal_greedy",
    },
    "ordinal": {
        "greedy": "greedy_score",
        "greedy-per-cost": "greedy_borda",
        "mes": "mes_borda",
        "mes-greedy": "mes_borda_greedy",
    },
}
KEYS["choose-1"] = KEYS["approval"]
