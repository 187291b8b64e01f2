"""Partnering leads for ESS structures, beside large firms.

Awards won by large firms (an insertion clause to staff, declared subcontracting) and open tenders too large
for one small structure, turned into leads for the ESS structures of that theme and territory."""
