"""A `gridgov` command that writes says where its data is, and one that expects a street
there warns when the database is fresh and empty: without GRIDGOV_DATA_DIR the data is
./var of the directory the command runs in, so a second terminal elsewhere saw an empty
street without a word (core.datadir)."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings

from gridgov.core import datadir
from gridgov.places.models import Level, Place


def said(argv):
    out = io.StringIO()
    datadir.before_command(["gridgov", *argv], out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "argv", [["serve"], ["sweep"], ["people", "import", "x.xlsx"], ["places", "import", "x.csv"]]
)
def test_commands_that_expect_a_street_warn_on_an_empty_database(argv):
    text = said(argv)
    assert f"数据目录：{settings.DATA_DIR}" in text
    assert "还没有任何地点" in text


@pytest.mark.django_db
def test_no_warning_once_there_are_places():
    Place.objects.create(code="QF", name="清风区", level=Level.DISTRICT)
    text = said(["people", "import", "x.xlsx"])
    assert f"数据目录：{settings.DATA_DIR}" in text and "还没有任何地点" not in text


@pytest.mark.django_db
def test_a_first_migrate_says_where_without_a_warning():
    text = said(["migrate"])
    assert text.count("\n") == 1 and "数据目录：" in text


@pytest.mark.parametrize("argv", [["help"], ["check"], ["people", "--help"], []])
def test_other_commands_and_help_say_nothing(argv):
    assert said(argv) == ""


def test_the_gridgov_command_says_it_from_a_directory_without_data_dir(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in {"GRIDGOV_DATA_DIR", "GRIDGOV_DATABASE_URL"}
    }
    result = subprocess.run(
        [sys.executable, "-m", "gridgov.manage", "places", "import", "missing.csv"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = result.stderr.splitlines()
    assert (
        lines[0]
        == f"数据目录：{tmp_path.resolve() / 'var'}（未设置 GRIDGOV_DATA_DIR：使用当前目录下的 var）"
    )
    assert "还没有任何地点" in lines[1]
    assert "missing.csv" in result.stderr and result.stdout == ""
