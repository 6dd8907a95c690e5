"""The documentation keeps up with the code: `docs/concepts.md` names every
public class of `models/` and every test that transcribes a lecture's
equations (`tests/test_lectures.py`, and the tests that compare a layer
with `tests/models/reference.py`); `docs/configuration.md` is generated from
the schemas; the README stays short."""

import ast
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(*path):
    with open(os.path.join(ROOT, *path), encoding="utf-8") as handle:
        return handle.read()


def python_files(folder):
    for directory, _, files in os.walk(os.path.join(ROOT, folder)):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                yield path, ast.parse(read(path))


def public_classes():
    return sorted({node.name for _, tree in python_files("models") for node in tree.body
                   if isinstance(node, ast.ClassDef) and not node.name.startswith("_")})


def lecture_tests():
    """Every test of `tests/test_lectures.py`, and every test of
    `tests/models` that calls a transcription of `tests/models/reference.py`."""
    names = [node.name for node in ast.parse(read("tests", "test_lectures.py")).body
             if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
    for _, tree in python_files(os.path.join("tests", "models")):
        if not any(isinstance(node, ast.ImportFrom) and any(a.name == "reference"
                                                            for a in node.names)
                   for node in tree.body):
            continue  # a module that does not use the transcriptions
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") and any(
                    isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                    and n.value.id == "reference" for n in ast.walk(node)):
                names.append(node.name)
    return sorted(set(names))


@pytest.mark.parametrize("name", public_classes())
def test_concepts_names_every_public_class_of_models(name):
    assert re.search(rf"\b{name}\b", read("docs", "concepts.md")), name


@pytest.mark.parametrize("name", lecture_tests())
def test_concepts_names_every_test_of_a_lecture_equation(name):
    assert re.search(rf"\b{name}\b", read("docs", "concepts.md")), name


def test_the_readme_is_short():
    assert len(read("README.md").splitlines()) <= 200


def test_the_configuration_reference_is_generated_from_the_schemas():
    """`docs/configuration.md` is what `python -m pipeline.core.configuration_doc`
    writes: regenerate it after changing a task's schema or presets."""
    from pipeline.core.configuration_doc import configuration_markdown

    assert read("docs", "configuration.md") == configuration_markdown()
