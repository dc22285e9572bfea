"""Demo standard answers (知识库) for common consultations, so the hotline form offers
answers as the operator types; one has gone unreviewed long enough to be marked for review."""

import datetime as dt

from django.utils import timezone

from gridgov.tickets.models import KnowledgeAnswer

ANSWERS = (
    (
        "居住证怎么办理？",
        "持本人身份证、居住登记凭证（租房合同或房产证明）到居住地社区服务中心或派出所"
        "办理居住登记，居住满半年可申领居住证，办理不收费。",
        ["居住证", "居住登记", "暂住证"],
        120,
        30,
    ),
    (
        "户口迁入需要什么材料？",
        "一般需要户口簿、身份证、迁入地房产证明或单位证明。具体以派出所户籍窗口要求为准，"
        "可先拨打辖区派出所电话咨询。",
        ["户口", "落户", "迁入"],
        85,
        60,
    ),
    (
        "高龄津贴怎么申请？",
        "年满80周岁的本地户籍老人，由本人或家属持身份证、户口簿到户籍所在社区申请，"
        "审核通过后次月起按月发放。",
        ["高龄津贴", "老年人补贴", "养老补贴"],
        64,
        90,
    ),
    (
        "垃圾分类怎么投放？",
        "可回收物、有害垃圾、厨余垃圾、其他垃圾分别投入对应颜色的桶。大件垃圾请联系物业"
        "或社区预约清运，不得堆放在楼道。",
        ["垃圾分类", "大件垃圾", "垃圾投放"],
        41,
        150,
    ),
    (
        "发现私家车占用消防通道怎么办？",
        "可拨打12345或通过“随手拍”上报，写明位置和车牌；紧急情况请直接拨打119。",
        ["消防通道", "占用", "乱停车"],
        22,
        200,  # not reviewed for 200 days: marked for review
    ),
)


def seed_knowledge(now=None):
    if KnowledgeAnswer.objects.exists():
        return
    now = now or timezone.now()
    for question, answer, keywords, used, days in ANSWERS:
        KnowledgeAnswer.objects.create(
            question=question,
            answer=answer,
            keywords=keywords,
            used_count=used,
            reviewed_at=now - dt.timedelta(days=days),
        )
