"""Step 7 (review): Chinese sentences for people: each check's rule and outcome, warnings, repairs and error messages.

The form's own labels come from ``schemas.labels``; this module only builds sentences from them, e.g.
``表三（二）部分公开：总计 2 ≠ 各申请人之和 1``. Machine fields (ids, codes, keys) are never translated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from schemas import Check, CheckStatus, Repair, Warning
from schemas.labels import (
    REPAIR_METHODS_ZH,
    REQUEST_COLUMNS_ZH,
    REVIEW_BLOCKS_ZH,
    label_zh,
    row_col_zh,
    short_row_zh,
)

_OP = {CheckStatus.passed: "=", CheckStatus.failed: "≠"}


def number_zh(value: Decimal | int | None) -> str:
    """A number as a person writes it: 2, 1.25; empty for none."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = str(value)
        # The common check side, a whole count printed as such (exponent 0): its str has no point, no exponent
        # (and is short: normalize() rounds beyond the context's 28 digits, so long ones take that path).
        if len(text) < 20 and text[-1].isdigit() and "." not in text and "E" not in text and "e" not in text:
            return text
        value = value.normalize() if value == value.to_integral_value() else value
        return format(value, "f")
    return str(value)


def check_message_zh(check: Check) -> str:
    """The rule instance and its outcome as one Chinese sentence."""
    # A table rule's names depend on its id alone (a report has ~40 such checks, the same ids in every report).
    table_rule = check.rule.startswith("T")
    parts = _TABLE_PARTS.get((check.rule, check.id)) if table_rule else None
    if parts is None:
        parts = _rule_parts(check)
        if table_rule and len(_TABLE_PARTS) < 1024:  # bounded: ids come from the rules, but stay safe
            _TABLE_PARTS[(check.rule, check.id)] = parts
    what, left_name, right_name = parts
    if check.status == CheckStatus.not_assessable:
        gaps = "、".join(_cell_name(k) for k in check.unassessable_keys[:4])
        more = f"等 {len(check.unassessable_keys)} 格" if len(check.unassessable_keys) > 4 else ""
        why = f"（{gaps}{more}没有数字）" if gaps else "（正文的说法是约数）"
        return f"{what}：无法核对{why}"
    op = _OP[check.status]
    return f"{what}：{left_name} {number_zh(check.left)} {op} {right_name} {number_zh(check.right)}"


_TABLE_PARTS: dict[tuple[str, str], tuple[str, str, str]] = {}


def _rule_parts(check: Check) -> tuple[str, str, str]:
    """(where, the left side's name, the right side's name) of a rule instance."""
    arg = check.id[check.id.find("[") + 1:-1] if "[" in check.id else ""
    if check.rule == "T3-columns":
        return f"表三{_row(arg)}", "总计", "各申请人之和"
    if check.rule == "T3-results":
        return f"表三“{REQUEST_COLUMNS_ZH.get(arg, arg)}”列", "（七）总计", "各办理结果之和"
    if check.rule == "T3-balance":
        return (f"表三“{REQUEST_COLUMNS_ZH.get(arg, arg)}”列", "本年新收 + 上年结转",
                "办理结果总计 + 结转下年度继续办理")
    if check.rule == "T4-blocks":
        return f"表四{REVIEW_BLOCKS_ZH.get(arg, arg)}", "总计", "维持 + 纠正 + 其他结果 + 尚未审结"
    quote = f"（原文“{check.quote}”）" if check.quote else ""
    if check.rule == "F-no_requests":
        return f"文表不一致：正文称未收到申请{quote}", "表三本年新收", "正文"
    if check.rule == "F-requests_received":
        table = "表三本年新收 + 上年结转" if len(check.left_keys) > 1 else "表三本年新收"
        return f"文表不一致{quote}", table, "正文所述收到申请数"
    if check.rule == "F-reconsideration":
        return f"文表不一致{quote}", "表四行政复议总计", "正文所述行政复议数"
    return f"文表不一致{quote}", "表四行政诉讼总计（直接起诉 + 复议后起诉）", "正文所述行政诉讼数"


def _row(row: str) -> str:
    return short_row_zh(row).replace("/", "")


@lru_cache(maxsize=2048)  # canonical keys only: a bounded set, named again in report after report
def _cell_name(key: str) -> str:
    table, row, col = row_col_zh(key)
    if not row:
        return label_zh(key)
    if table == "表三":
        row = _row(key.split(".", 1)[1].rsplit(".", 1)[0])
    return f"{table}{row}/{col}"


def cells_zh(keys: list[str], limit: int = 6) -> str:
    """Cells named by the form's labels, at most ``limit`` of them."""
    names = "、".join(_cell_name(k) for k in keys[:limit])
    return names + (f"等 {len(keys)} 格" if len(keys) > limit else "")


_ROW_IN_MESSAGE = re.compile(r"^row '([^']+)'")


def warning_message_zh(warning: Warning) -> str:
    """A warning in Chinese: what could not be settled and which cells it leaves open."""
    cells = cells_zh(warning.keys)
    if warning.code == "ambiguous_row":
        fits = f"，{len(warning.candidates)} 种读法都符合" if warning.candidates else ""
        return f"无法确定这一行的数字归属{fits}，以下单元格记为“未知”：{cells}"
    if warning.code == "row_without_values":
        return f"这一行印出了标签却没有数字，以下单元格记为“缺失”：{cells}"
    if warning.code == "version_unknown":
        return "正文中看不出报告格式的版本，表格按 2021 版格式读取"
    if warning.code == "markup_as_text":
        return "文本是网页标记（HTML/XML），未按纯文本读取表格；请以网页文件（.html）提交"
    if warning.code in DOCUMENT_WARNINGS_ZH:
        return DOCUMENT_WARNINGS_ZH[warning.code]
    return f"{warning.message}{'（' + cells + '）' if cells else ''}"


DOCUMENT_WARNINGS_ZH: Mapping[str, str] = {
    "no_table": "文件中没有表格，表二、表三、表四按正文文字读取",
    "tables_as_images": "文件中的表格是图片，图片中的数字无法读取，只读取了以文字写出的数字",
    "table_search_bounded": "PDF 查找表格超时，后面的页面按文字读取",
    "table_search_failed": "PDF 某一页的线条无法还原成表格，该页按文字读取",
    "pages_without_text": "PDF 有的页面没有文字层（扫描图片），这些页面上的内容无法读取",
}


def repair_message_zh(repair: Repair) -> str:
    """A repair in Chinese, saying what it rests on."""
    what = {"spurious_blank": "表格中多出的空格被视为排版造成的空白",
            "digit_split": "连在一起印出的数字被拆分到各列",
            "alignment": "按上一行的版式对齐各列",
            "dropped_token": "行末多出的一个数字未计入"}[repair.kind]
    basis = REPAIR_METHODS_ZH[repair.method]
    proof = f"，依据 {'、'.join(repair.proved_by)}" if repair.proved_by else ""
    return f"修复（{basis}）：{what}{proof}：{cells_zh(repair.keys, 3)}"


# Error codes (CLI stderr lines, problem+json) → title and what to do, in Chinese.
ERRORS_ZH: Mapping[str, tuple[str, str]] = {
    "unreadable": ("无法读取文件", "无法读取该文件，请检查路径和权限"),
    "unwritable": ("无法写入文件", "无法写入工作簿，请检查路径和权限"),
    "undecodable": ("无法解码",
                    "文本不是 UTF-8、UTF-16 或 GB18030/GBK 编码（或与声明的字符集不符），请另存为 UTF-8 后重试"),
    "empty_input": ("内容为空", "没有收到任何文本，请发送报告全文"),
    "not_a_report": ("不是年度报告",
                     "文本中既没有年度报告的六个部分，也没有表二、表三、表四，请确认是政府信息公开工作年度报告"),
    "not_text": ("不是文本", "收到的是二进制数据，既不是文本，也不是网页、.docx 或 PDF 文件，请发送报告文本或文件"),
    "unsupported_format": ("不支持的文件格式",
                           "不读取 .doc、.wps、.xls 等格式：请另存为 .docx、打印为 PDF 或另存为网页（.html）后重试"),
    "no_text_layer": ("PDF 没有文字层",
                      "该 PDF 的页面是图片（扫描件），没有可读的文字；请先做文字识别，或发送网页或 Word 版本"),
    "corrupt_document": ("文件已损坏", "PDF 或 .docx 文件损坏或不完整，请重新下载或重新导出后再试"),
    "encrypted_document": ("PDF 已加密", "该 PDF 需要密码才能打开，请另存一份未加密的副本后再试"),
    "decompressed_too_large": ("文件解压后过大", ".docx 文件解压后超过上限（疑似压缩炸弹），不是年度报告"),
    "too_many_pages": ("PDF 页数过多", "该 PDF 的页数超过上限，年度报告远没有这么长；请只发送报告本身的页面"),
    "unsupported_media_type": ("不支持的媒体类型", "请以 application/json、text/plain 或 multipart/form-data 发送"),
    "too_large": ("报告过大", "报告超过服务接受的大小上限，请发送较小的报告或调高 NIANBAO_MAX_UPLOAD_BYTES"),
    "too_many_items": ("批量条目过多", "一次批量请求的报告数超过上限，请分批发送"),
    "invalid_options": ("选项无效", "extract 的选项不符合 ExtractOptions，请按 errors 修改"),
    "invalid_request": ("请求无效", "请求不符合接口定义（见 errors 和 /docs）"),
    "unauthorized": ("缺少或错误的 API 密钥", "请在 Authorization: Bearer 或 X-API-Key 中提供有效密钥"),
    "overloaded": ("服务繁忙", "等待大模型的报告过多，请按 Retry-After 稍后重试"),
    "not_ready": ("服务未就绪", "服务尚不能处理报告，请查看 checks"),
    "llm_unavailable": ("大模型不可用", "大模型接口无法访问、超时、拒绝密钥或未配置；去掉 llm_required 可改用规则读取"),
    "llm_output_invalid": ("大模型输出无效", "大模型多次返回不符合格式的结果；去掉 llm_required 可改用规则读取"),
    "llm_budget_exceeded": ("超出令牌预算",
                            "该报告所需令牌超过 NIANBAO_LLM_TOKEN_BUDGET；去掉 llm_required 或提高预算"),
    "worker_died": ("工作进程中止", "读取该文件的工作进程被终止（内存不足或崩溃）；其余文件已读取"),
    "internal_error": ("内部错误", "服务意外出错；请重试，如仍出错请提供 request_id"),
}


def error_zh(code: str, detail: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """(title, message) of an error code in Chinese; HTTP codes (http_404…) get a generic sentence."""
    if code in ERRORS_ZH:
        title, message = ERRORS_ZH[code]
    elif code.startswith("http_"):
        title, message = "HTTP 错误", f"请求无法处理（HTTP {code[5:]}）"
    else:
        title, message = "错误", "请求无法处理"
    detail = detail or {}
    if detail.get("not_found"):
        message += "；缺少：" + "、".join(str(x) for x in detail["not_found"])
    if detail.get("limit_bytes"):
        message += f"；上限 {detail['limit_bytes']} 字节"
    if detail.get("limit_items"):
        message += f"；上限 {detail['limit_items']} 份"
    if detail.get("retry_after"):
        message += f"；{detail['retry_after']} 秒后重试"
    return title, message
