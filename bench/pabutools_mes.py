"""pabutools' side of ``bench/process.py``: read one .pb file, count it with Equal Shares.

    python bench/pabutools_mes.py FILE.pb

prints the selected project ids as a JSON list. The satisfaction is the one matching
``python -m votes tally FILE --rule mes``: cost for approval and choose-1 files, cardinal
(points) for cumulative ones, Borda for ordinal ones (ours with ``--ranked-scoring borda``).
Ties are broken by project id, pabutools' default. The count runs on the multiprofile, as
the reference outcomes in reference.json were made.
"""

import json
import sys

from pabutools.election import Additive_Borda_Sat, Additive_Cardinal_Sat, Cost_Sat, parse_pabulib
from pabutools.rules import method_of_equal_shares

SATISFACTION = {"cumulative": Additive_Cardinal_Sat, "ordinal": Additive_Borda_Sat}

instance, profile = parse_pabulib(sys.argv[1])
vote_type = instance.meta.get("vote_type", "approval")
outcome = method_of_equal_shares(
    instance, profile.as_multiprofile(), sat_class=SATISFACTION.get(vote_type, Cost_Sat)
)
print(json.dumps(sorted(p.name for p in outcome)))
