"""Project commands for `scrapy` (COMMANDS_MODULE): `crawl` checks the spider's arguments before it starts."""
