"""Masking of personal data for lists and public output (DESIGN §8)."""

import re


def mask_name(name):
    """张三 -> 张*, 欧阳娜娜 -> 欧***: only the first character stays."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone):
    """13812341234 -> 138****1234; short numbers keep only their last two digits."""
    digits = (phone or "").strip()
    if not digits:
        return ""
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) > 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_id_number(id_number):
    """110101199001011234 -> 1101**********1234."""
    value = (id_number or "").strip()
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


_DIGITS = re.compile(r"[0-9０-９]+")


def mask_address(address):
    """魏家坡小区3号楼2单元501室 -> 魏家坡小区*号楼*单元***室: every digit starred, so the
    road, compound and kind of place stay readable while the house, building, entrance
    and room numbers (what points at one household) do not. For an address that was not
    resolved to a building; a resolved one is better named by its building (exports)."""
    address = (address or "").strip()
    return _DIGITS.sub(lambda match: "*" * len(match.group()), address)


# Mobile and landline numbers, ID card numbers, room numbers; e-mail addresses, and QQ
# numbers and WeChat IDs where the text names them as such (QQ：12345678, 微信号 abc_123).
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_QQ = re.compile(r"(?<![A-Za-z])(qq(?:号码|号)?\s*[:：]?\s*)[1-9]\d{4,11}(?!\d)", re.IGNORECASE)
_WECHAT = re.compile(
    r"((?:微信号?|(?<![A-Za-z])(?:vx|wx|weixin|wechat)(?:号|\s*id)?)\s*[:：]?\s*)"
    r"[A-Za-z][-_A-Za-z0-9]{5,19}(?![-_A-Za-z0-9])",
    re.IGNORECASE,
)
# A digit as people type it, ASCII or full-width, and what people put between the groups of
# a phone or ID number: spaces, a line break, a dash of any width, a dot, 、.
_D = "[0-9０-９]"
_NO_DIGIT_BEFORE, _NO_DIGIT_AFTER = r"(?<![0-9０-９])", r"(?![0-9０-９])"
_SEP = r"\s{0,3}(?:(?:[-－—–‐‑―]{1,3}|[.．·・、])\s{0,3})?"
# Not 、 after an area code: 2018-0051、2018-0052 are two permit numbers.
_AREA_SEP = r"\s{0,3}(?:(?:[-－—–‐‑―]{1,3}|[.．·・])\s{0,3})?"
# +86 138…, 86-138…, 0086 138…, (+86)138….
_COUNTRY = r"(?:[(（]\s*)?(?:[+＋]\s*|[0０]{2})?[8８][6６]\s*[)）]?" + _SEP
# A number followed by a unit is an amount, a date, a count: 88886666元, 2312528人.
_NO_UNIT_AFTER = r"(?!\s*(?:[元万亿年月日号个次人户台辆件条间套位名份天倍吨斤米㎡%％]|平方))"
# Mobiles: 138 1234 1234, 138-1234-1234, 138.1234.1234, １３８１２３４１２３４, +86 ….
_PHONE = re.compile(
    rf"{_NO_DIGIT_BEFORE}(?:{_COUNTRY})?[1１][3-9３-９]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}{_NO_DIGIT_AFTER}"
)
# The other groupings people type a mobile in, 1381 234 5678 (4-3-4) and 138 123 45678
# (3-3-5), with both breaks written. Only spaces, dashes and dots break them: a list
# 1500、200、3000 is amounts; nor is it a phone when a unit follows (1500 200 3000元) or
# when it is one piece of a longer run of groups (a card number, a list of codes).
_GROUP_SEP = r"(?:\s{1,3}|\s{0,3}(?:[-－—–‐‑―]{1,3}|[.．])\s{0,3})"
_NO_GROUP_BEFORE = r"(?<![0-9０-９][\s\-－—–‐‑―.．])"
_NO_GROUP_AFTER = rf"(?!{_GROUP_SEP}[0-9０-９])"
_REGROUPED_PHONE = re.compile(
    rf"{_NO_DIGIT_BEFORE}{_NO_GROUP_BEFORE}(?:{_COUNTRY})?[1１][3-9３-９]"
    rf"(?:{_D}{{2}}{_GROUP_SEP}{_D}{{3}}{_GROUP_SEP}{_D}{{4}}"  # 4-3-4
    rf"|{_D}{_GROUP_SEP}{_D}{{3}}{_GROUP_SEP}{_D}{{5}})"  # 3-3-5
    rf"{_NO_DIGIT_AFTER}{_NO_GROUP_AFTER}{_NO_UNIT_AFTER}"
)
# Landlines with their area code: 0731-88886666, (0731)88886666, （0731）8888 6666,
# 0731 8888 6666, 0731—88886666, 010.8888.6666.
_AREA = rf"[0０]{_D}{{2,3}}"
_LANDLINE = re.compile(
    rf"{_NO_DIGIT_BEFORE}(?:[(（]\s*{_AREA}\s*[)）]\s*(?:[-－—–]{{1,2}}\s*)?|{_AREA}{_AREA_SEP})"
    rf"{_D}{{3,4}}{_SEP}{_D}{{4}}{_NO_DIGIT_AFTER}"
)
# A local number without its area code (8888 6666, 3322792) is taken for a phone only where
# the text calls it one just before (电话：, 手机, 联系, 拨打, 致电 …), and not when a unit
# follows it (88886666元, 2312528人): alone it is as likely an amount, a date or a code.
_LOCAL = rf"[2-9２-９]{_D}{{2,3}}{_SEP}{_D}{{4}}"
_CUED_LOCAL = re.compile(
    r"((?:电话|手机|联系|拨打|致电|热线|座机|来电|(?<![A-Za-z])(?:tel|phone))"
    r"(?:[A-Za-z]+[0-9]+|[^0-9０-９。！？；;!?\n]){0,12}?"  # 电话(J11市卫健局:, 拨打12345或
    r"(?:(?<![0-9])(?:1[0-2]\d{1,3}|9\d{4})\s*(?:[、/]|或者?)\s*)?)"
    rf"({_NO_DIGIT_BEFORE}{_LOCAL}(?:\s*(?:[、，,/和及]|或者?)\s*{_LOCAL})*)"
    rf"{_NO_DIGIT_AFTER}{_NO_UNIT_AFTER}",
    re.IGNORECASE,
)
_LOCAL_NUMBER = re.compile(_LOCAL)
# ID card numbers: 18 characters in one piece, or written in groups (430102 19900101 1234,
# 4301 0219 9001 0112 34) when the birth date sits where an ID number has it.
_ID_NUMBER = re.compile(r"(?<![0-9０-９A-Za-z])[0-9０-９]{17}[0-9０-９XxＸｘ](?![0-9０-９A-Za-z])")
_SPACED_ID_NUMBER = re.compile(
    rf"(?<![0-9０-９A-Za-z])[1-9１-９](?:{_SEP}{_D}){{16}}{_SEP}[0-9０-９XxＸｘ](?![0-9０-９A-Za-z])"
)
_ROOM = re.compile(r"(?:\d{1,2}\s*(?:单元|号楼|栋|-)\s*)?\d{3,4}\s*(?:号房|室|房)")
# A room written without 室 after its building or unit (1栋501, 2单元501号, 5栋1单元1202):
# the number is blanked, the building and unit kept as the masked address keeps them.
_BARE_ROOM = re.compile(r"((?:单元|号楼|栋|幢)\s*)\d{3,4}(?:号)?(?!\d)")
REDACTED = "***"


def _id_number_or_as_written(match):
    """An ID number written in groups is blanked when its 7th to 14th digits are a birth
    date (19000101–20991231): 18 digits in groups are otherwise a list of numbers."""
    digits = "".join(str(int(c)) for c in match.group() if c.isdigit())
    return REDACTED if _is_date(digits[6:14]) else match.group()


def _local_number(match):
    """A local number is blanked unless it is a date (拨打时间20191231)."""
    digits = "".join(str(int(c)) for c in match.group() if c.isdigit())
    if len(digits) == 8 and _is_date(digits):
        return match.group()
    return REDACTED


def _is_date(digits):
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    return 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


# A name in Latin letters (John Smith, Maria Garcia-Lopez, José Núñez): its parts are
# words of two letters or more, found in a text on their own (张三 is found only whole).
_LATIN = "A-Za-zÀ-ÖØ-öø-ɏ"
_LATIN_PART = re.compile(rf"[{_LATIN}]{{2,}}")
_LATIN_NAME = re.compile(rf"[{_LATIN}\s.'’·・-]+")


def _starred(match):
    written = match.group()
    return written[0] + "*" * (len(written) - 1)


def _as_a_word(words):
    """`words` where no Latin letter or digit touches them (John, not Johnson), in any case."""
    return re.compile(rf"(?<![{_LATIN}0-9_]){re.escape(words)}(?![{_LATIN}0-9_])", re.IGNORECASE)


def _mask_names(text, names):
    """Each name masked where the text writes it whole (张三 → 张*, John Smith → J*********),
    then each Latin part of it where the text writes that alone: a requester named John
    Smith signs 我是John or writes smith (→ J***, s****)."""
    for name in names:
        name = (name or "").strip()
        if len(name) < 2:
            continue
        if _LATIN_NAME.fullmatch(name):
            # As a word only: Li is a name, not the Li of Line.
            text = _as_a_word(name).sub(_starred, text)
        else:
            text = text.replace(name, name[0] + "*" * (len(name) - 1))
        for part in _LATIN_PART.findall(name):
            text = _as_a_word(part).sub(_starred, text)
    return text


def scrub_text(text, names=()):
    """Free text (a description, a reply, a title made of the caller's words) with phone,
    ID and room numbers, e-mail addresses, QQ numbers and WeChat IDs blanked out, and
    the given names masked (张三 → 张*; John Smith, John, Smith → J*********, J***,
    S****): for what leaves the access-logged screens, the public Open311 documents and
    notifications."""
    text = _EMAIL.sub(REDACTED, text or "")  # before the phones: 13812341234@163.com is one
    for pattern in (_QQ, _WECHAT):
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    # After the e-mail addresses: john.smith@163.com masked as j***.s****@163.com is no
    # longer found as an address.
    text = _mask_names(text, names)
    text = _ID_NUMBER.sub(REDACTED, text)
    text = _SPACED_ID_NUMBER.sub(_id_number_or_as_written, text)
    for pattern in (_PHONE, _REGROUPED_PHONE, _LANDLINE):
        text = pattern.sub(REDACTED, text)
    text = _CUED_LOCAL.sub(
        lambda match: match.group(1) + _LOCAL_NUMBER.sub(_local_number, match.group(2)), text
    )
    text = _ROOM.sub(REDACTED, text)
    return _BARE_ROOM.sub(lambda match: match.group(1) + REDACTED, text)


# Names the text itself introduces as someone's (我叫李安正, 控告人：潘平安, 业主王怀启, 房东刘志强):
# a cue, then a common surname and one or two characters. After a cue that always names a
# person (我叫, 控告人) any common surname is taken; after one that is also followed by plain
# words (业主委员会, 房东要求, 邻居家) only surnames that are not everyday words too (not 于,
# 向, 安, 成, 高 …). Other names cannot be told from words: hence Open311 publishes few texts.
_PLAIN_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖董袁潘蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范廖贾夏韦付邹孟熊秦邱尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔"
    "汤温康施牛樊葛邢齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕季裴霍涂苗谷盛翁冉骆蓝游辛靳柴蒙鲍华喻祁蒲滕屈饶牟艾尤穆农卓吉缪麦褚娄窦戚岑景宫费卜"
    "冷晏卫米柏宗瞿桂佟臧闵苟邬边卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查苑迟邝"
)
_WORDLIKE_SURNAMES = "马高田石江方白金文安于向关全应成明党路商车管解单时和常万连项曲席"
_CUED_NAME = re.compile(
    r"((?:我叫|本人叫|我的名字叫|名叫|姓名|被?控告人|被?举报人|被?投诉人|被?申请人)\s*[:：]?\s*)"
    rf"([{_PLAIN_SURNAMES}{_WORDLIKE_SURNAMES}])([\u4e00-\u9fff]{{1,2}})"
    r"|((?:当事人|联系人|户主|业主|房东|房主|租户|租客|邻居)\s*[:：]?\s*)"
    rf"([{_PLAIN_SURNAMES}])([\u4e00-\u9fff]{{1,2}})"
)


def _masked_cued_name(match):
    cue, surname, given = (match.group(1), match.group(2), match.group(3))
    if cue is None:
        cue, surname, given = (match.group(4), match.group(5), match.group(6))
    return cue + surname + "*" * len(given)


def mask_cued_names(text):
    """`text` with the names it introduces by a cue masked after their surname (控告人：潘平安
    → 控告人：潘**): the names of whoever a caller writes about, which `scrub_text` cannot
    know. For texts published to everyone (Open311)."""
    return _CUED_NAME.sub(_masked_cued_name, text or "")
