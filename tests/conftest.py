import pytest


@pytest.fixture(autouse=True)
def _media_and_data_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
