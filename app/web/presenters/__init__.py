"""How the pages say things: labels for voting methods, the results chart and figures, money
and London times."""
