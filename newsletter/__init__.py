"""The weekly press newsletter: the week's ESS-relevant tenders, compiled for editors in four formats."""
