# Only for `scrapyd-deploy` (scrapyd-client), which builds its egg with `setup.py bdist_egg`
# and writes a setup.py of its own where none exists. Everything is in pyproject.toml.
from setuptools import setup

setup()
