"""What analysts read: the archive made readable (label tables, flat views, the buyer directory), its
Datasette metadata and canned queries, and its exports (CSV, Excel, OCDS).

Everything here reads and writes the analysts' archive only, never the private store: the tables it adds are
derived from public notices and can be shared with the file.
"""
