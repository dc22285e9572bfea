"""Excel export of a filtered ticket list (openpyxl).

Requester name and phone are masked on every row unless the caller holds
`tickets.view_requester` for that ticket. An export with any unmasked row
writes one AccessLog row listing the ids of the tickets shown in full, before
the file is handed out: no log, no data (DESIGN §8).

Column headers and labels are Chinese and fixed: the sheet is an exchange
format (12345 platforms, the import command), so it does not follow the UI
language.
"""

import io
import os

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from gridgov.people.masking import mask_name, mask_phone
from gridgov.people.models import AccessLog
from gridgov.people.personal_data import client_ip
from gridgov.places.models import Place

from . import sla
from .models import Ticket

# openpyxl without lxml wrote about 500 rows a second here (676 rows in 1.3 s on the
# demo); a bigger export belongs to a background job, not to one request.
MAX_ROWS = 20_000
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CHANNELS = {
    "hotline": "12345热线",
    "wechat": "微信",
    "photo": "随手拍",
    "window": "接待窗口",
    "box": "意见箱",
    "patrol": "网格巡查",
    "visit": "入户走访",
    "event": "活动现场征集",
    "api": "接口",
}
NATURES = {
    "consult": "咨询",
    "help": "求助",
    "complaint": "投诉",
    "report": "举报",
    "suggest": "建议",
    "praise": "表扬",
}
URGENCIES = {"emergency": "紧急", "utility": "水电气热", "general": "一般", "complex": "复杂"}
STATUSES = {
    "received": "已受理",
    "dispatched": "已派单",
    "returned": "已退单",
    "accepted": "已签收",
    "in_progress": "办理中",
    "escalated": "已上报",
    "resolved": "已办结",
    "reopened": "已重启",
    "closed": "已关闭",
    "answered": "已答复",
    "merged": "已合并",
}
OVERDUE = {None: "否", "accept": "签收超期", "respond": "响应超期", "resolve": "办结超期"}

# (header, width)
COLUMNS = [
    ("工单编号", 20),
    ("受理时间", 18),
    ("渠道", 12),
    ("诉求性质", 10),
    ("紧急程度", 10),
    ("分类", 30),
    ("标题", 30),
    ("地址", 30),
    ("所属网格", 16),
    ("责任主体", 18),
    ("状态", 10),
    ("签收时限", 18),
    ("响应时限", 18),
    ("办结时限", 18),
    ("是否超期", 10),
    ("诉求人", 10),
    ("联系电话", 16),
]
PERSONAL_FIELDS = list(Ticket.PERSONAL_DATA_FIELDS)


class TooManyRows(Exception):
    def __init__(self, count):
        super().__init__(count)
        self.count = count


def _local(value):
    # Excel has no time zones: write Beijing time without an offset.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _row(ticket, now, full):
    owner = ticket.owner_department or ticket.owner_place
    if full:
        name, phone = ticket.requester_name, ticket.requester_phone
    else:
        name, phone = mask_name(ticket.requester_name), mask_phone(ticket.requester_phone)
    return [
        ticket.code,
        _local(ticket.created_at),
        CHANNELS.get(ticket.channel, ticket.channel),
        NATURES.get(ticket.nature, ticket.nature),
        URGENCIES.get(ticket.urgency, ticket.urgency),
        ticket.category.full_name if ticket.category else "",
        ticket.title,
        ticket.address or (ticket.place.name if ticket.place else ""),
        ticket.grid.name if ticket.grid else "",
        owner.name if owner else "",
        STATUSES.get(ticket.status, ticket.status),
        _local(ticket.accept_by),
        _local(ticket.respond_by),
        _local(ticket.resolve_by),
        OVERDUE[sla.overdue_stage(ticket, now)],
        "匿名" if ticket.anonymous else name,
        phone,
    ]


def _common_place(tickets):
    """The deepest place above all the tickets, so the area's auditors see the log row."""
    paths = [(t.place or t.owner_place).path for t in tickets if (t.place or t.owner_place)]
    if not paths:
        return None
    prefix = os.path.commonprefix(paths)
    prefix = prefix[: prefix.rfind("/") + 1]
    return Place.objects.filter(path=prefix).first() if len(prefix) > 1 else None


def build_workbook(tickets, user, now=None):
    """(xlsx bytes, ids of the tickets whose requester is shown in full)."""
    now = now or timezone.now()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("诉求工单")
    for index, (_header, width) in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title, _width in COLUMNS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    revealed = []
    for ticket in tickets:
        has_data = bool(ticket.requester_name or ticket.requester_phone)
        full = has_data and user.has_perm(Ticket.PERSONAL_DATA_PERM, ticket)
        if full:
            revealed.append(ticket)
        sheet.append(_row(ticket, now, full))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), revealed


def export_tickets(queryset, user, request=None, now=None, channel=AccessLog.Channel.API):
    """Build the workbook for a filtered queryset; log the unmasked rows. Returns bytes."""
    queryset = queryset.select_related(
        "category__parent__parent", "place", "grid", "owner_place", "owner_department"
    )
    tickets = list(queryset[: MAX_ROWS + 1])
    if len(tickets) > MAX_ROWS:
        raise TooManyRows(MAX_ROWS)
    content, revealed = build_workbook(tickets, user, now)
    if revealed:
        AccessLog.objects.create(
            user=user,
            subject_type=Ticket._meta.label_lower,
            subject_id="export",
            fields={"fields": PERSONAL_FIELDS, "tickets": [t.pk for t in revealed]},
            purpose=f"Excel export, {len(revealed)} tickets in full",
            channel=channel,
            ip=client_ip(request),
            place=_common_place(revealed),
        )
    return content


def filename(now=None):
    return f"tickets-{timezone.localtime(now or timezone.now()):%Y%m%d-%H%M}.xlsx"
