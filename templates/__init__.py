"""The Jinja2 templates of digests, the newsletter and the web pages (editors may adapt them).

A package only so that the wheel carries them beside the code that renders them.
"""
