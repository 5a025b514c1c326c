"""Spiders of the blogarc Scrapy project."""
