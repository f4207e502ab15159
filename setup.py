"""The wheel carries the provider data (suites, schemas, cassettes, specs) as ``apiconform/_data/``.

Those folders live at the top of the checkout, where the suites, the docs and a provider team edit them, and
an editable install (``pip install -e .``) reads them there (``paths.project_root``). A wheel, or an install
from a git URL in another repository, has no checkout: ``build_py`` copies them into the package, and
``project_root`` falls back to that copy. Everything else about the build is in pyproject.toml.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = ("suites", "schemas", "cassettes", "specs")


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # the checkout is the data
            return
        for name in DATA:
            target = Path(self.build_lib) / "apiconform" / "_data" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(Path(__file__).parent / name, target,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithData})
