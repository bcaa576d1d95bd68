"""Ship the user-editable folders inside the wheel as ``radprompt/_bundled/<folder>``.

Everything else about the package lives in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCE_FOLDERS = ("labelsets", "prompts", "extractors", "optimizers", "experiments")


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the folders from the checkout
        root = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "radprompt" / "_bundled"
        for folder in RESOURCE_FOLDERS:
            source = root / folder
            if source.is_dir():
                shutil.copytree(source, target / folder, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithResources})
