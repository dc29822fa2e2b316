"""Generate annual reports with known tables, flattened into the messy shapes real reports arrive in.

Used by tests/test_generated_shapes.py: every case is built from a seed, so a failure names its seed.
The truth is kept beside the text: the parser must recover every value (or, for a shape that cannot
carry a value, the case does not print one).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from schemas.keys import APPLICANT_COLUMNS, REVIEW_BLOCKS, REVIEW_COLUMNS, request_rows, result_rows

SHAPES = ("tabs", "spaces", "pipes", "run_together", "one_line", "cells_per_line")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# Printed labels of 表三 rows: (group label or None, item label).
_T3_LABELS: dict[str, tuple[str | None, str]] = {
    "new_received": (None, "一、本年新收政府信息公开申请数量"),
    "carried_over": (None, "二、上年结转政府信息公开申请数量"),
    "granted": ("三、本年度办理结果", "（一）予以公开"),
    "partially_granted": (None, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    "denied.state_secret": ("（三）不予公开", "1.属于国家秘密"),
    "denied.prohibited_by_law": (None, "2.其他法律行政法规禁止公开"),
    "denied.security_stability": (None, "3.危及“三安全一稳定”"),
    "denied.third_party_rights": (None, "4.保护第三方合法权益"),
    "denied.internal_affairs": (None, "5.属于三类内部事务信息"),
    "denied.process_information": (None, "6.属于四类过程性信息"),
    "denied.enforcement_files": (None, "7.属于行政执法案卷"),
    "denied.administrative_query": (None, "8.属于行政查询事项"),
    "unable.not_held": ("（四）无法提供", "1.本机关不掌握相关政府信息"),
    "unable.needs_creation": (None, "2.没有现成信息需要另行制作"),
    "unable.unclear_after_correction": (None, "3.补正后申请内容仍不明确"),
    "not_processed.complaint": ("（五）不予处理", "1.信访举报投诉类申请"),
    "not_processed.repeated": (None, "2.重复申请"),
    "not_processed.publication": (None, "3.要求提供公开出版物"),
    "not_processed.excessive": (None, "4.无正当理由大量反复申请"),
    "not_processed.confirmation": (None, "5.要求行政机关确认或重新出具已获取信息"),
    "other.overdue_correction": ("（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    "other.overdue_fee": (None, "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    "other.other": (None, "3.其他"),
    "other.total": (None, "（六）其他处理"),
    "total": (None, "（七）总计"),
    "carried_forward": (None, "四、结转下年度继续办理"),
}

_ACTIVE_ROWS = {
    "2021": [("第二十条第（一）项", "信息内容\t本年制发件数\t本年废止件数\t现行有效件数",
              [("规章", "regulations", ["issued", "repealed", "in_force"]),
               ("行政规范性文件", "normative_documents", ["issued", "repealed", "in_force"])]),
             ("第二十条第（五）项", "信息内容\t本年处理决定数量", [("行政许可", "licensing", ["decisions"])]),
             ("第二十条第（六）项", "信息内容\t本年处理决定数量",
              [("行政处罚", "punishment", ["decisions"]), ("行政强制", "coercion", ["decisions"])]),
             ("第二十条第（八）项", "信息内容\t本年收费金额（单位：万元，保留4位小数）",
              [("行政事业性收费", "fees", ["amount"])])],
    "2019": [("第二十条第（一）项", "信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量",
              [("规章", "regulations", ["made", "published", "total_public"]),
               ("规范性文件", "normative_documents", ["made", "published", "total_public"])]),
             ("第二十条第（五）项", "信息内容\t上一年项目数量\t本年增/减\t处理决定数量",
              [("行政许可", "licensing", ["previous", "change", "decisions"]),
               ("其他对外管理服务事项", "other_services", ["previous", "change", "decisions"])]),
             ("第二十条第（六）项", "信息内容\t上一年项目数量\t本年增/减\t处理决定数量",
              [("行政处罚", "punishment", ["previous", "change", "decisions"]),
               ("行政强制", "coercion", ["previous", "change", "decisions"])]),
             ("第二十条第（八）项", "信息内容\t上一年项目数量\t本年增/减",
              [("行政事业性收费", "fees", ["previous", "change"])]),
             ("第二十条第（九）项", "信息内容\t采购项目数量\t采购总金额",
              [("政府集中采购", "procurement", ["count", "amount"])])],
}

Value = int | Decimal | str | None  # str: a signed count ("+12") or a mark ("/", "—"); None: blank


@dataclass
class Case:
    """A generated report: its text (or bytes), the truth, and how it was made."""

    seed: int
    version: str
    shape: str
    text: str
    truth: dict[str, Value] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    data: bytes | None = None
    notes: list[str] = field(default_factory=list)


def _count(rng: random.Random, big: bool = False) -> int:
    roll = rng.random()
    if roll < 0.55:
        return 0
    if roll < 0.9:
        return rng.randint(1, 9)
    return rng.randint(10, 400 if big else 60)


def _t3_values(rng: random.Random, version: str) -> dict[str, int]:
    """表三 values that satisfy T3-balance, T3-results and T3-columns."""
    v: dict[str, int] = {}
    for row in result_rows(version):
        for col in APPLICANT_COLUMNS:
            v[f"requests.{row}.{col}"] = _count(rng) if col in ("natural_person", "commercial") or rng.random() < .2 \
                else 0
    for col in APPLICANT_COLUMNS:
        total = sum(v[f"requests.{row}.{col}"] for row in result_rows(version))
        v[f"requests.total.{col}"] = total
        forward = rng.choice([0, 0, 0, rng.randint(1, 5)])
        over = min(rng.choice([0, 0, rng.randint(1, 5)]), total + forward)
        v[f"requests.carried_forward.{col}"] = forward
        v[f"requests.carried_over.{col}"] = over
        v[f"requests.new_received.{col}"] = total + forward - over
    for row in request_rows(version):
        v[f"requests.{row}.total"] = sum(v[f"requests.{row}.{c}"] for c in APPLICANT_COLUMNS)
    return v


def _t4_values(rng: random.Random, small: bool) -> dict[str, int]:
    v: dict[str, int] = {}
    for block in REVIEW_BLOCKS:
        parts = [rng.choice([0, 0, 1, 2]) if small else _count(rng) for _ in range(4)]
        if small:
            while sum(parts) > 9:
                parts[parts.index(max(parts))] -= 1
        for col, val in zip(REVIEW_COLUMNS[:-1], parts, strict=True):
            v[f"review.{block}.{col}"] = val
        v[f"review.{block}.total"] = sum(parts)
    return v


def _active_values(rng: random.Random, version: str, single_digit: bool) -> dict[str, Value]:
    v: dict[str, Value] = {}
    for _, _, rows in _ACTIVE_ROWS[version]:
        for _, row, cols in rows:
            for col in cols:
                key = f"active.{row}.{col}"
                if col == "amount":
                    v[key] = rng.choice([Decimal("0"), Decimal("12.3456"), Decimal("0.0000"), Decimal("3.5")])
                elif col == "change":
                    n = rng.randint(-20, 40)
                    v[key] = f"+{n}" if n > 0 else str(n)
                else:
                    v[key] = rng.randint(0, 9) if single_digit or len(cols) > 1 and rng.random() < .5 \
                        else _count(rng, big=True)
    return v


def spurious_blank_decidable(printed: list[str], truth: list[str]) -> bool:
    """Brute force: does dropping exactly one empty cell give one reading whose 表四 blocks add up, the truth?"""
    readings = set()
    for i, cell in enumerate(printed):
        if cell:
            continue
        row = tuple(printed[:i] + printed[i + 1:])
        nums = [int(c) if c else 0 for c in row]
        if all(nums[5 * b + 4] == sum(nums[5 * b:5 * b + 4]) for b in range(3)):
            readings.add(row)
    return readings == {tuple(truth)}


def digit_run_unique(values: list[int], total_index: int) -> bool:
    """Brute force: is this row the only split of its digit run whose total is the sum of the rest?"""
    digits = "".join(str(x) for x in values)
    n = len(values)
    found = 0

    def walk(i: int, parts: list[int]) -> None:
        nonlocal found
        if found > 1:
            return
        if len(parts) == n:
            if i == len(digits) and sum(parts) - parts[total_index] == parts[total_index]:
                found += 1
            return
        for j in range(i + 1, min(len(digits), i + 7) + 1):
            piece = digits[i:j]
            if len(piece) > 1 and piece[0] == "0":
                break
            walk(j, [*parts, int(piece)])

    walk(0, [])
    return found == 1


def _fmt(value: Value) -> str:
    if value is None:
        return ""
    return str(value)


def _t3_rows(version: str, values: dict[str, Value]) -> list[tuple[list[str], list[str], str]]:
    """(tab label cells, printed values, row key) for each 表三 row."""
    rows = []
    for row in request_rows(version):
        group, item = _T3_LABELS[row]
        if version == "2019" and row == "other.total":
            cells = ["", item]
        elif group and group.startswith("三"):
            cells = [group, item]
        elif group:
            cells = ["", group, item]
        elif item[0] in "（" and row not in ("total",):
            cells = ["", item]
        elif item[0] in "123456789":
            cells = ["", "", item]
        else:
            cells = [item, ""]
        rows.append((cells, [_fmt(values[f"requests.{row}.{c}"]) for c in (*APPLICANT_COLUMNS, "total")], row))
    return rows


def _label_text(cells: list[str]) -> str:
    return " ".join(c for c in cells if c)


def _render_row(shape: str, cells: list[str], vals: list[str], rng: random.Random, spurious: int,
                trailing: bool) -> str:
    if shape == "tabs":
        return "\t".join(cells + [""] * spurious + vals) + ("\t" if trailing else "")
    if shape == "pipes":
        return "| " + " | ".join([_label_text(cells)] + [""] * spurious + vals) + " |"
    if shape == "run_together":
        return _label_text(cells) + "".join(vals)
    if shape == "cells_per_line":
        return "\n".join([_label_text(cells), *vals])
    return _label_text(cells) + " " * rng.randint(1, 3) + (" " * rng.randint(1, 3)).join(vals)


def _header(shape: str, lines: list[str]) -> list[str]:
    if shape == "tabs":
        return lines
    if shape == "pipes":
        first = lines[0].split("\t")
        return ["| " + " | ".join(first) + " |", "|" + "---|" * len(first)] + [
            "| " + " | ".join(line.split("\t")) + " |" for line in lines[1:]]
    return [" ".join(p for p in line.split("\t") if p) for line in lines]


def render_case(seed: int) -> Case:
    """Build one report from a seed: version, shape and decorations all drawn from it."""
    rng = random.Random(seed)
    version = rng.choice(["2021", "2021", "2019"])
    shape = SHAPES[seed % len(SHAPES)]
    table_shape = "spaces" if shape == "one_line" else shape
    case = Case(seed, version, shape, "")
    run = table_shape == "run_together"
    t3 = _t3_values(rng, version)
    if run:  # a run of digits must be decidable by the row total, as in a report a person can read
        for row in request_rows(version):
            keys = [f"requests.{row}.{c}" for c in (*APPLICANT_COLUMNS, "total")]
            while not digit_run_unique([t3[k] for k in keys], 6):
                t3 = _t3_values(rng, version)
                break
        if not all(digit_run_unique([t3[f"requests.{r}.{c}"] for c in (*APPLICANT_COLUMNS, "total")], 6)
                   for r in request_rows(version)):
            return render_case(seed + 100_000)
    t4 = _t4_values(rng, small=run)
    active = _active_values(rng, version, single_digit=run)
    truth: dict[str, Value] = {**active, **t3, **t4}
    marks = table_shape in ("tabs", "pipes", "spaces", "cells_per_line") and rng.random() < 0.3
    if marks:  # "/" or "—" for a zero in a few applicant cells (not-applicable, never 0)
        for key in rng.sample([k for k, v in t3.items() if v == 0 and not k.endswith(".total")], 3):
            truth[key] = rng.choice(["/", "—", "无"])
    page = rng.random() < 0.4
    broken = rng.random() < 0.4
    truncated = rng.random() < 0.12
    wrapped = rng.random() < 0.5
    spurious = rng.choice([0, 1]) if table_shape in ("tabs", "pipes") else 0

    lines: list[str] = []
    if rng.random() < 0.3:
        lines += ["首页 > 政务公开 > 政府信息公开年报", "字号：大 中 小 打印本页 关闭窗口"]
    agency = rng.choice(["原州区人民政府办公室", "沙坡头区宣和镇", "平罗县头闸镇人民政府", "某市生态环境局"])
    year = int(rng.choice(["2019", "2020"]) if version == "2019" else rng.choice(["2021", "2022", "2023"]))
    lines += [f"{agency}{rng.choice(['', ' '])}{year}{rng.choice(['', ' '])}年政府信息公开工作年度报告", "",
              "一、总体情况", "", "（一）主动公开", f"{year}年，本机关主动公开政府信息12条，共收到申请3件。", ""]
    lines += ["二、主动公开政府信息情况", ""]
    for title, head, rows in _ACTIVE_ROWS[version]:
        lines += _header(table_shape if not (run and version == "2019") else "spaces", [title + "\t\t\t", head])
        for label, row, cols in rows:
            vals = [_fmt(truth[f"active.{row}.{c}"]) for c in cols]
            # Run together, a 表二 row of several columns (no equation) is unknown unless its digits admit
            # one reading even with empty cells vanished ("000"); tests/test_text_never_wrong.py covers that.
            t2_shape = "spaces" if run and (version == "2019" or len(cols) > 1) else table_shape
            lines.append(_render_row(t2_shape, [label], vals, rng, 0, rng.random() < .3))
    lines += ["", "三、收到和处理政府信息公开申请情况", ""]
    lines += _header(table_shape, ["(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)\t\t申请人情况\t\t\t\t\t\t总计",
                                   "\t\t自然人\t法人或其他组织",
                                   "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t"])
    t3_rows = _t3_rows(version, truth)
    cut = rng.randint(6, len(t3_rows) - 3) if truncated else len(t3_rows)
    break_at = rng.randint(3, cut - 1) if page else -1
    for i, (cells, vals, row) in enumerate(t3_rows[:cut]):
        if broken and rng.random() < 0.3:
            j = len(cells) - 1
            label = cells[j]
            at = rng.randint(3, len(label) - 1) if len(label) > 4 else 0
            if at:
                cells = [*cells[:j], label[:at] + " " + label[at:]]
        if i == break_at:
            lines += ["", f"- {rng.randint(2, 9)} -", ""]
            case.notes.append(f"page break before {row}")
        label = cells[-1]
        if table_shape == "spaces" and wrapped and len(label) > 10 and rng.random() < 0.5:
            # pdftotext -layout: a label cell wrapped on two lines, the numbers on either line or between
            wrap = rng.randint(4, len(label) - 3)
            head, tail = " ".join(c for c in cells[:-1] if c) + " " + label[:wrap], label[wrap:]
            numbers = "    ".join(vals)
            lines += rng.choice([[f"{head}    {numbers}", f"          {tail}"],
                                 [f"{head}", f"          {tail}    {numbers}"],
                                 [f"          {head}", f"    {numbers}", f"          {tail}"]])
            case.notes.append("wrapped label")
            continue
        lines.append(_render_row(table_shape, cells, vals, rng, spurious, rng.random() < .3))
    if truncated:
        for row in request_rows(version)[cut:]:
            case.missing.add(f"requests.{row}")
        case.missing.add("review")
        case.notes.append(f"表三 truncated after {t3_rows[cut - 1][2]}; no section 四")
    else:
        lines += ["", "四、政府信息公开行政复议、行政诉讼情况", ""]
        lines += _header(table_shape, ["行政复议\t\t\t\t\t行政诉讼",
                                       "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉",
                                       "\t\t\t\t\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计"])
        review_total = sum(v for k, v in truth.items() if k.startswith("review.") and isinstance(v, int))
        if table_shape == "tabs" and review_total and rng.random() < 0.4:  # zeros printed empty, as in 001
            for key in [k for k, v in truth.items() if k.startswith("review.") and v == 0]:
                truth[key] = None
            case.notes.append("review zeros blank")
        vals = [_fmt(truth[f"review.{b}.{c}"]) for b in REVIEW_BLOCKS for c in REVIEW_COLUMNS]
        if table_shape == "tabs" and "" in vals and rng.random() < 0.6:
            at = rng.randint(1, len(vals) - 1)
            printed = [*vals[:at], "", *vals[at:]]
            if spurious_blank_decidable(printed, vals):
                vals = printed
                case.notes.append("review spurious empty cell")
        lines.append(_render_row(table_shape, [], vals, rng, 0, False).lstrip("| ").join(["| ", ""])
                     if table_shape == "pipes" else _render_row(table_shape, [], vals, rng, 0, False).strip(" "))
    lines += ["", "五、存在的主要问题及改进情况", "", "一是公开内容不够全面；二是政策解读有待加强。", "",
              "六、其他需要报告的事项", "", "本机关未收取信息处理费。", ""]
    if rng.random() < 0.3:
        lines += ["版权所有：某市人民政府办公室 联系电话：0951-1234567"]
    text = "\n".join(lines)
    if shape == "one_line":
        text = " ".join(line for line in text.split("\n") if line.strip())
    if rng.random() < 0.25:
        text = text.translate(FULLWIDTH)
        case.notes.append("full-width digits")
    if rng.random() < 0.2:
        text = text.replace("\n", "\r\n")
        case.notes.append("CRLF")
    case.text = text
    if rng.random() < 0.2:
        case.data = text.encode(rng.choice(["gbk", "gb18030", "utf-16", "utf-8-sig"]))
        case.notes.append("encoded bytes")
    for key in list(truth):
        if any(key == m or key.startswith(m + ".") for m in case.missing):
            truth[key] = None
    case.truth = truth
    case.notes += [f"shape={shape}", f"spurious={spurious}", f"marks={marks}", f"broken={broken}"]
    return case


# ---- run-together reports (bench/text_corpus.py, the "never wrong" property) -----------------------------
# Every table printed as a crawled web page flattens it: each row's label, then its numbers with nothing
# between them. Unlike ``render_case`` the values are not chosen to be decidable: a reader must leave what
# no equation decides unknown, never guess it.

def _signed(rng: random.Random) -> tuple[str, int]:
    """A printed 本年增/减 cell and its value: "+5", "-3", "0", "增加5", "减少2"."""
    n = rng.choice([0, 0, rng.randint(1, 9), rng.randint(1, 30), -rng.randint(1, 9)])
    if n == 0:
        return "0", 0
    if rng.random() < 0.25:
        return ("增加" if n > 0 else "减少") + str(abs(n)), n
    return (f"+{n}" if n > 0 else str(n)), n


def render_run_together(seed: int, gaps: float = 0.0, mistakes: float = 0.0) -> Case:
    """One report whose three tables are printed run together (labels then digits, no separators).

    ``gaps``: the share of the places between cells printed with a separator after all (a space, spaces,
    a tab or a line break), drawn from a second generator so that the values stay those of ``seed``.
    ``mistakes``: the chance that the report's own arithmetic is off: one 表三 cell printed 1 to 3 higher
    than the sums say (the truth is what is printed; the equations no longer all hold).
    """
    rng = random.Random(seed)
    sep_rng = random.Random(seed * 7919 + 1)

    def join(cells: list[str]) -> str:
        if not gaps:
            return "".join(cells)
        return "".join(c + (sep_rng.choice([" ", "   ", "\t", "\n"]) if sep_rng.random() < gaps else "")
                       for c in cells[:-1]) + cells[-1]

    version = rng.choice(["2021", "2021", "2019"])
    case = Case(seed, version, "run_together", "")
    truth: dict[str, Value] = {}
    lines = [f"某县某镇人民政府{rng.choice(['2019', '2020']) if version == '2019' else '2022'}年政府信息公开工作年度报告",
             "一、总体情况", "本机关全年主动公开政府信息120条。", "二、主动公开政府信息情况"]
    for title, head, rows in _ACTIVE_ROWS[version]:
        lines += [title, head.replace("\t", "")]
        for label, row, cols in rows:
            printed = []
            for col in cols:
                key = f"active.{row}.{col}"
                if col == "change":
                    raw, value = _signed(rng)
                    truth[key] = value
                elif col == "amount" and row == "procurement":
                    value = rng.choice([Decimal(0), Decimal(rng.randint(1, 10**8)) / 100])
                    raw = f"{value:.2f}" if value else "0"
                    truth[key] = Decimal(raw)
                    raw += rng.choice(["", "元"]) if value else ""
                elif col == "amount":
                    value = rng.choice([Decimal(0), Decimal(rng.randint(1, 10**6)) / 10000])
                    raw = str(value.normalize()) if value else "0"
                    truth[key] = Decimal(raw)
                else:
                    truth[key] = int(raw := str(_count(rng, big=True)))
                printed.append(raw)
            lines.append(label + join(["", *printed]))
    lines += ["三、收到和处理政府信息公开申请情况",
              "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）申请人情况",
              "自然人法人或其他组织总计", "商业企业科研机构社会公益组织法律服务机构其他"]
    t3 = _t3_values(rng, version)
    if rng.random() < 0.3:  # a busy office: some counts in the tens and hundreds
        for key in [k for k in t3 if k.endswith(".natural_person") and t3[k]]:
            t3[key] *= rng.choice([1, 3, 11])
        t3 = _rebalance(t3, version)
    if mistakes and sep_rng.random() < mistakes:
        key = sep_rng.choice(sorted(t3))
        t3[key] += sep_rng.randint(1, 3)
        case.notes.append(f"mistake in {key}")
    truth.update(t3)
    for cells, vals, _row in _t3_rows(version, t3):
        lines.append("".join(c for c in cells if c) + join(["", *vals]))
    lines += ["四、政府信息公开行政复议、行政诉讼情况", "行政复议行政诉讼",
              "结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉",
              "结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计"]
    t4 = _t4_values(rng, small=rng.random() < 0.6)
    truth.update(t4)
    lines.append(join([str(t4[f"review.{b}.{c}"]) for b in REVIEW_BLOCKS for c in REVIEW_COLUMNS]))
    lines += ["五、存在的主要问题及改进情况", "一是公开内容不够全面。", "六、其他需要报告的事项", "无。"]
    case.text = "\n".join(lines)
    case.truth = truth
    return case


def _rebalance(v: dict[str, int], version: str) -> dict[str, int]:
    """Totals, 总计 and 新收 again after result cells changed (keeps every 表三 equation true)."""
    for col in APPLICANT_COLUMNS:
        total = sum(v[f"requests.{row}.{col}"] for row in result_rows(version))
        v[f"requests.total.{col}"] = total
        over = min(v[f"requests.carried_over.{col}"], total + v[f"requests.carried_forward.{col}"])
        v[f"requests.carried_over.{col}"] = over
        v[f"requests.new_received.{col}"] = total + v[f"requests.carried_forward.{col}"] - over
    for row in request_rows(version):
        v[f"requests.{row}.total"] = sum(v[f"requests.{row}.{c}"] for c in APPLICANT_COLUMNS)
    return v
