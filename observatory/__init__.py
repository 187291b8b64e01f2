"""The impact observatory: who wins the contracts and how social the buying is, against the charter targets.

Indicators computed from the archive (contracts, award notices, the companies register) and the report
that shows them."""
