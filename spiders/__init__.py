"""The Scrapy project: one spider per source (spiders/sources), shared base spiders, the archive pipeline."""
