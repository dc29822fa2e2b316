"""Chinese labels of the canonical keys, as the national forms print them (the key ↔ label table).

The canonical keys stay the machine contract; these labels are for people: CSV headers (``--header zh``),
the error list, the workbook and the review page. ``label_zh("requests.granted.natural_person")`` is
``表三/三、本年度办理结果/（一）予以公开/自然人``.
"""

from __future__ import annotations

from typing import Final

from schemas.keys import FACT_KEYS, TABLE_PREFIXES

TABLE_TITLES_ZH: Final = {
    "active": "主动公开政府信息情况",
    "requests": "收到和处理政府信息公开申请情况",
    "review": "政府信息公开行政复议、行政诉讼情况",
}

# 表二: row key -> printed row label; column key -> printed column header.
ACTIVE_ROWS_ZH: Final = {
    "regulations": "规章",
    "normative_documents": "行政规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "punishment": "行政处罚",
    "coercion": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
}
ACTIVE_COLUMNS_ZH: Final = {
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": "本年处理决定数量",
    "amount": "本年收费金额（万元）",
    "made": "本年新制作数量",
    "published": "本年新公开数量",
    "total_public": "对外公开总数量",
    "previous": "上一年项目数量",
    "change": "本年增/减",
    "count": "采购项目数量",
}
# Cells whose column header differs from the generic one above.
ACTIVE_CELL_COLUMNS_ZH: Final = {
    "procurement.amount": "采购总金额",
}

# 表三: row key -> (group heading, row label), as the form prints them.
REQUEST_GROUPS_ZH: Final = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "results": "三、本年度办理结果",
    "carried_forward": "四、结转下年度继续办理",
}
REQUEST_ROWS_ZH: Final = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开",
    "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "denied.state_secret": "（三）不予公开/1.属于国家秘密",
    "denied.prohibited_by_law": "（三）不予公开/2.其他法律行政法规禁止公开",
    "denied.security_stability": "（三）不予公开/3.危及“三安全一稳定”",
    "denied.third_party_rights": "（三）不予公开/4.保护第三方合法权益",
    "denied.internal_affairs": "（三）不予公开/5.属于三类内部事务信息",
    "denied.process_information": "（三）不予公开/6.属于四类过程性信息",
    "denied.enforcement_files": "（三）不予公开/7.属于行政执法案卷",
    "denied.administrative_query": "（三）不予公开/8.属于行政查询事项",
    "unable.not_held": "（四）无法提供/1.本机关不掌握相关政府信息",
    "unable.needs_creation": "（四）无法提供/2.没有现成信息需要另行制作",
    "unable.unclear_after_correction": "（四）无法提供/3.补正后申请内容仍不明确",
    "not_processed.complaint": "（五）不予处理/1.信访举报投诉类申请",
    "not_processed.repeated": "（五）不予处理/2.重复申请",
    "not_processed.publication": "（五）不予处理/3.要求提供公开出版物",
    "not_processed.excessive": "（五）不予处理/4.无正当理由大量反复申请",
    "not_processed.confirmation": "（五）不予处理/5.要求行政机关确认或重新出具已获取信息",
    "other.overdue_correction": "（六）其他处理/1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other.overdue_fee": "（六）其他处理/2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other.other": "（六）其他处理/3.其他",
    "other.total": "（六）其他处理",
    "total": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}
REQUEST_COLUMNS_ZH: Final = {
    "natural_person": "自然人",
    "commercial": "法人或其他组织/商业企业",
    "research": "法人或其他组织/科研机构",
    "social_org": "法人或其他组织/社会公益组织",
    "legal_service": "法人或其他组织/法律服务机构",
    "other_org": "法人或其他组织/其他",
    "total": "总计",
}

# 表四: block -> heading; column -> heading.
REVIEW_BLOCKS_ZH: Final = {
    "reconsideration": "行政复议",
    "litigation_direct": "行政诉讼/未经复议直接起诉",
    "litigation_after_reconsideration": "行政诉讼/复议后起诉",
}
REVIEW_COLUMNS_ZH: Final = {
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}

FACTS_ZH: Final = {
    "documents_issued": "发文数量",
    "documents_disclosed": "主动公开文件数",
    "website_posts": "网站发布信息数",
    "weibo_posts": "政务微博发布信息数",
    "wechat_posts": "政务微信发布信息数",
    "weibo_followers": "政务微博关注量",
    "wechat_followers": "政务微信关注量",
    "new_media_accounts": "政务新媒体账号数",
    "policy_interpretations": "政策解读数",
    "hotline_cases": "热线办理数",
    "petition_cases": "信访件数",
    "online_messages": "网上留言/信箱件数",
    "press_conferences": "新闻发布会场次",
    "trainings": "培训次数",
    "requests_received": "收到依申请公开数（文字表述）",
    "fees_collected": "信息处理费（元）",
}
assert set(FACTS_ZH) == set(FACT_KEYS)

META_ZH: Final = {"source": "来源文件", "meta.agency": "单位", "meta.year": "年度", "meta.format_version": "格式版本"}

# The result's own vocabulary (cell states, qualifiers, checks, repairs, backends), for the review page.
CELL_STATES_ZH: Final = {"number": "数值", "blank": "空白", "not_applicable": "不适用", "missing": "缺失",
                         "unknown": "无法确定"}
QUALIFIERS_ZH: Final = {"exact": "确数", "approx": "约数", "more_than": "多于", "at_least": "不少于"}
GROUNDING_ZH: Final = {"exact": "原文逐字", "fuzzy": "近似对齐", "none": "未定位"}
CHECK_STATUS_ZH: Final = {"pass": "通过", "fail": "未通过", "not_assessable": "无法核验"}
RULES_ZH: Final = {
    "T3-balance": "表三各列：新收 + 上年结转 = 办理结果总计 + 结转下年度",
    "T3-results": "表三各列：（七）总计 = 各项办理结果之和",
    "T3-columns": "表三各行：总计列 = 六类申请人之和",
    "T4-blocks": "表四各部分：总计 = 维持 + 纠正 + 其他 + 尚未审结",
}
REPAIR_KINDS_ZH: Final = {"spurious_blank": "多余空单元格", "digit_split": "连写数字拆分", "alignment": "列对齐",
                          "dropped_token": "舍弃多余数字"}
BACKENDS_ZH: Final = {"rules": "规则", "llm": "大模型", "hybrid": "规则 + 大模型", "none": "未读取叙述部分"}
TABLE_STATUS_ZH: Final = {"found": "完整", "truncated": "不完整（部分行缺失）", "missing": "未找到"}
DOCUMENT_FORMATS_ZH: Final = {"text": "纯文本", "html": "网页（HTML）", "docx": "Word（DOCX）", "pdf": "PDF"}


def row_col_zh(key: str) -> tuple[str, str, str]:
    """(表, 行, 列) of a canonical cell key in the form's own words, e.g. ("表三", "（一）予以公开", "自然人")."""
    table, rest = key.split(".", 1)
    if table == "active":
        row, col = rest.split(".", 1)
        return (TABLE_PREFIXES["active"], ACTIVE_ROWS_ZH.get(row, row),
                ACTIVE_CELL_COLUMNS_ZH.get(rest, ACTIVE_COLUMNS_ZH.get(col, col)))
    if table == "requests":
        row, col = rest.rsplit(".", 1)
        label = REQUEST_ROWS_ZH.get(row, row)
        if row not in ("new_received", "carried_over", "carried_forward"):
            label = f"{REQUEST_GROUPS_ZH['results']}/{label}"
        return TABLE_PREFIXES["requests"], label, REQUEST_COLUMNS_ZH.get(col, col)
    if table == "review":
        block, col = rest.split(".", 1)
        return TABLE_PREFIXES["review"], REVIEW_BLOCKS_ZH.get(block, block), REVIEW_COLUMNS_ZH.get(col, col)
    return key, "", ""


def label_zh(key: str) -> str:
    """The Chinese label of any flat key: a cell (``表三/三、本年度办理结果/（一）予以公开/自然人``), a fact or meta."""
    if key in META_ZH:
        return META_ZH[key]
    if key.startswith("facts."):
        name, _, tail = key[len("facts."):].partition(".")
        base = FACTS_ZH.get(name, name)
        return f"{base}（限定）" if tail == "qualifier" else base
    if key in FLAT_ZH:
        return FLAT_ZH[key]
    if key.split(".", 1)[0] in TABLE_PREFIXES:
        return "/".join(p for p in row_col_zh(key) if p)
    return key


def short_row_zh(row: str) -> str:
    """A 表三 row's label without its printed note: （二）部分公开（区分处理的…） → （二）部分公开."""
    label = REQUEST_ROWS_ZH.get(row, row)
    head, sep, _ = label.partition("（区分")
    return head if sep else label


# Flat-view and CSV columns other than cells and facts (``--header zh``).
FLAT_ZH: Final = {
    "problems": "自述问题",
    "checks.failed": "未通过的核对",
    "checks.failed_zh": "未通过的核对（说明）",
    "checks.not_assessable": "无法核对的核对",
    "verdict": "结论",
    "counts.checks": "核对数",
    "counts.checks_failed": "未通过核对数",
    "counts.checks_not_assessable": "无法核对数",
    "counts.cells_unknown": "无法确定的单元格数",
    "counts.cells_missing": "缺失的单元格数",
    "counts.cells_repaired": "经修复的单元格数",
    "counts.repaired.arithmetic": "修复单元格数（算术证明）",
    "counts.repaired.unique": "修复单元格数（唯一读法）",
    "counts.repaired.layout": "修复单元格数（版式推断，无算术证明）",
    "counts.sections_missing": "缺失的部分数",
    "counts.tables_missing": "缺失的表数",
    "counts.tables_truncated": "不完整的表数",
    "counts.warnings": "警告数",
    "cells.unknown": "无法确定的单元格",
    "cells.repaired": "经修复的单元格",
    "warnings": "警告",
}
VERDICT_ZH: Final = {"pass": "通过", "failed": "有错误", "not_assessable": "无法完全核对"}
REPAIR_METHODS_ZH: Final = {"arithmetic": "算术证明", "unique": "唯一读法", "layout": "版式推断，无算术证明"}
