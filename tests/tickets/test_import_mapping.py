"""The import page maps a file's columns when its headers are not the usual ones: the
upload is kept, the page shows a select per field prefilled with what it recognised, and
the import runs with the user's choices (as `--mapping` on the command line)."""

import csv
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.tickets import imports
from gridgov.tickets.models import Ticket

from .factories import make_world

# 派单时间 and 问题类型 are no header the import knows; the others are.
HEADERS = ["工单编号", "派单时间", "内容", "事发地址", "联系电话", "问题类型", "诉求性质"]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"
    return make_world()


def write(path, n=3):
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["XX区12345热线工单明细"])  # a title line above the headers
        writer.writerow(HEADERS)
        for i in range(n):
            writer.writerow(
                [
                    f"M-{i}",
                    f"2026-03-0{i + 2} 09:30",
                    f"楼道堆物{i}",
                    "魏家坡小区3号楼",
                    "13800001111",
                    "网格事件/楼道堆物",
                    "投诉",
                ]
            )
    return path


class _Form(HTMLParser):
    """The mapping form's fields as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.values, self.options, self._select = {}, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name", "").startswith("map-"):
            self.values[attrs["name"]] = attrs.get("value", "")
        elif tag == "select" and attrs.get("name", "").startswith("map-"):
            self._select = attrs["name"]
            self.values[self._select] = ""
            self.options[self._select] = []
        elif tag == "option" and self._select:
            self.options[self._select].append(attrs.get("value", ""))
            if "selected" in attrs:
                self.values[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def mapping_form(html):
    form = _Form()
    form.feed(html)
    return form


def upload(client, path, **fields):
    with open(path, "rb") as handle:
        return client.post(reverse("tickets:import"), {"file": handle, **fields})


def test_unknown_headers_are_mapped_on_the_page_then_imported(client, world, tmp_path):
    client.force_login(world.street_staff)
    response = upload(client, write(tmp_path / "export.csv"))
    html = response.content.decode()
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert "请对应文件的列" in html and "未能在 export.csv 中识别出导入所需的全部列" in html
    # A Chinese list is written with 、, the file's headers too.
    assert "缺少 受理时间、诉求类型 对应的列" in html
    assert "文件中的表头为：工单编号、派单时间、内容、事发地址" in html
    form = mapping_form(html)
    # Every field has a select of the file's headers, the recognised ones chosen.
    assert form.options["map-created_at"] == ["", *HEADERS]
    assert form.values["map-created_at"] == "" and form.values["map-category"] == ""
    assert form.values["map-description"] == "内容"
    assert form.values["map-address"] == "事发地址"
    assert form.values["map-nature"] == "诉求性质"
    assert re.search(r"<label for=\"id_map-created_at\">受理时间 <span class=\"req\"", html)

    # Still a column short: said again, the file kept for another try.
    response = client.post(reverse("tickets:import"), {**form.values, "map-created_at": "派单时间"})
    assert response.status_code == 400 and "缺少 诉求类型 对应的列" in response.content.decode()
    assert not Ticket.objects.exists()

    chosen = {**form.values, "map-created_at": "派单时间", "map-category": "问题类型"}
    response = client.post(reverse("tickets:import"), chosen)
    html = response.content.decode()
    assert response.status_code == 200 and "已导入 3 件工单" in html, html
    assert "受理时间 ← 派单时间" in html  # 使用的列
    first = Ticket.objects.get(external_id="M-0")
    assert timezone.localtime(first.created_at).strftime("%m-%d %H:%M") == "03-02 09:30"
    assert first.created_by == world.street_staff and first.category == world.corridor

    # The kept file went with the import: the same form again finds nothing.
    response = client.post(reverse("tickets:import"), chosen)
    assert response.status_code == 400 and "上传的文件已不再保留" in response.content.decode()
    assert Ticket.objects.count() == 3


def test_a_field_mapped_to_no_column_is_not_read(client, world, tmp_path):
    """Unmapping a recognised column (联系电话 holds the office's number, say) leaves it out."""
    client.force_login(world.street_staff)
    form = mapping_form(upload(client, write(tmp_path / "export.csv")).content.decode())
    assert form.values["map-requester_phone"] == "联系电话"
    chosen = {
        **form.values,
        "map-created_at": "派单时间",
        "map-category": "问题类型",
        "map-nature": "诉求性质",
        "map-requester_phone": "",
    }
    response = client.post(reverse("tickets:import"), chosen)
    html = response.content.decode()
    # 投诉 needs a phone: without the column every row says so, nothing written.
    assert response.status_code == 400 and "求助和投诉须留联系电话" in html, html
    assert not Ticket.objects.exists()


def test_the_options_of_the_upload_are_kept_and_nobody_else_can_use_it(client, world, tmp_path):
    client.force_login(world.street_staff)
    form = mapping_form(upload(client, write(tmp_path / "e.csv"), dry_run="on").content.decode())
    chosen = {**form.values, "map-created_at": "派单时间", "map-category": "问题类型"}

    client.force_login(world.hotline)  # allowed to import, but not this upload
    response = client.post(reverse("tickets:import"), chosen)
    assert response.status_code == 400 and "上传的文件已不再保留" in response.content.decode()

    client.force_login(world.street_staff)
    response = client.post(reverse("tickets:import"), chosen)
    assert response.status_code == 200 and "文件检查通过" in response.content.decode()
    assert not Ticket.objects.exists()  # a dry run, as ticked at the upload


def test_a_file_with_the_usual_headers_imports_without_the_mapping_step(client, world, tmp_path):
    path = tmp_path / "usual.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["受理时间", "诉求内容", "诉求地址", "诉求类型", "诉求性质"])
        writer.writerow(["2026-03-02 09:30", "路灯不亮", "魏家坡小区3号楼", "城乡建设", "建议"])
    client.force_login(world.street_staff)
    response = upload(client, path)
    assert response.status_code == 200 and "import-mapping" not in response.content.decode()
    assert Ticket.objects.count() == 1


def test_header_choices_reads_the_top_rows_only(world, tmp_path):
    path = write(tmp_path / "big.csv", n=50)
    headers, recognised, missing = imports.header_choices(path)
    assert headers == HEADERS and recognised["external_id"] == "工单编号"
    assert "受理时间" in missing


def test_an_upload_left_unmapped_is_deleted_after_a_day(client, world, tmp_path, settings):
    import os
    import time

    client.force_login(world.street_staff)
    form = mapping_form(upload(client, write(tmp_path / "old.csv")).content.decode())
    pending = list((settings.DATA_DIR / "imports" / "pending").iterdir())
    assert len(pending) == 1
    day_ago = time.time() - imports.PENDING_HOURS * 3600 - 60
    os.utime(pending[0], (day_ago, day_ago))
    upload(client, write(tmp_path / "new.csv"))  # the next one kept clears the old
    assert pending[0] not in list(pending[0].parent.iterdir())
    response = client.post(reverse("tickets:import"), form.values)
    assert response.status_code == 400 and "上传的文件已不再保留" in response.content.decode()
