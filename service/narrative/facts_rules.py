"""Narrative facts by rules: the agency-wide counts the prose states (行政发文149件, 发布信息1500余条 …).

Each rule is a pattern that ends on a count (a number and a unit, 条/件/次 …) and begins on what the count is
of: a keyword (微博, 热线, 培训) or a platform and a verb (网站 … 发布信息). A match is kept only when

* no other count stands between its keyword and its number (the keyword belongs to the nearest count),
* its scope names no competing thing (微信 in a weibo count, 留言 in a hotline count),
* its number's clause does not mark a part, a frequency, a change or a plan (其中, 每月, 增加, 将).

Per key the first rule in ``RULES`` that finds a match wins, and its first match in the text. Section 五
(problems and plans) is not read for facts. A wrong fact is worse than a missing one, so the rules are
strict: a count whose subject the sentence does not name is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from schemas import Fact, Span
from service.narrative.flow import Flow, flow
from service.narrative.grounding import NUMBER, clean_bounds, parse_number
from service.places import TOWNSHIP, split_name, unit_level

# ---- the pieces rules are written in ---------------------------------------------------------------

_PRE_WORDS = r"大约|约|将近|近|超过|突破|逾|多达|达到|达|共计|共|合计|累计|总计|计|为|不少于|不低于"
_NUM = rf"(?<![\d.第零〇一二两三四五六七八九十百千])(?<!\d,)(?P<num>{NUMBER})"
# Spaces that PDF extraction puts around numbers ("1500 余条"). Each optional token carries its own spaces:
# several optional spaces in a row would make the engine try every split of a run of blanks (table rows).
_S = r"[ \t]{0,3}"
# A count: qualifier words, the number, 万/千, 余/多, the unit, 以上/左右.
# A unit followed by one of these nouns counts them, not the thing at hand: 培训覆盖30个部门 counts
# departments, 20个工作日 days.
_COUNTED_NOUNS = r"部门|单位|乡镇|街道|社区|村|栏目|专栏|板块|专区|坐席|席位|工作日|月|小时|人"
_COUNT = (rf"(?P<pre>{_PRE_WORDS})?{_S}{_NUM}(?:{_S}(?P<mult>万|千))?(?:{_S}(?P<more>余|多))?"
          rf"(?:{_S}(?P<mult2>万))?{_S}(?P<unit>{{units}})(?!{_COUNTED_NOUNS})(?P<post>以上|左右|有余)?")
# Followers are often written without a unit (关注量382), so the number must end there.
_FOLLOWERS = (rf"(?P<pre>{_PRE_WORDS})?{_S}{_NUM}(?:{_S}(?P<mult>万|千))?(?:{_S}(?P<more>余|多))?"
              rf"(?:{_S}(?P<mult2>万))?(?:{_S}(?P<unit>人|名|个|户))?(?P<post>以上|左右)?(?![\d.%‰])")
_FOLLOW = r"关注量|关注人数|关注数|关注者|关注用户|粉丝量|粉丝数|粉丝|订阅量|订阅数|订阅人数|用户总数|总用户数|用户数"
_TEMPLATE = {
    "<g>": r"[^,;:。!?\n]{0,10}?",  # a short gap inside one clause
    "<G>": r"[^;。!?\n]{0,80}?",  # a gap inside one sentence (a platform named a few clauses before)
    "<NOUN>": r"(?:信息|内容|稿件|文章|动态|新闻|图文|消息|推文|微博|博文)",
    "<ANY>": rf"(?<![\d.]){NUMBER}[ \t]{{0,3}}(?:件|份|个)",  # another count, only as context
    "<WEB>": r"(?:网站|政务网|政府网|门户网|信息公开专栏)",
    # 政务新媒体（微信公众号等）: a group, not the account
    "<WX>": r"(?:微信公众号|公众号|微信(?!公众号))(?!等)",
    # Not 报送 (reporting to superiors) nor 发送 (text messages): those are not posts.
    "<PUB>": r"(?:发布|公开|更新|上传|推送|公布|刊发|发表|推出|编发|转发)",
    "<FOLLOW>": rf"(?:{_FOLLOW})",
    "<RUN>": r"(?:开设|开通|运营|运行|管理|注册|认证|共有|现有|拥有|建立|建成)",  # what an agency does with accounts
    "<GET>": r"(?:收到|受理|接到|接收|新收)",
    # A clause about this year, after a cumulative one: 本年度新增发布…, 2024年发布…
    "<YEAR>": r"(?:本年度?|全年|今年|年内|当年|\d{4}\s*年度?)(?:新增|共|累计)?",
}
_POSTS = "条|篇|则|期"
_ITEMS = "件|份|个"

# Words that, in a count's scope, mean the count is of another platform or thing.
_OTHER_PLATFORMS = (r"微博|微信|公众号|新媒体|两微|抖音|头条|快手|客户端|APP|App|app|小程序"
                    r"|公示栏|公开栏|宣传栏|电子屏|广播|电视|报纸")
_NOT_WEBSITE = _OTHER_PLATFORMS + "|留言|信箱"
_NOT_WEIBO = "微信|公众号|网站|政务网|政府网|抖音|头条|快手|客户端|两微"
_NOT_WECHAT = "微博|网站|政务网|政府网|抖音|头条|快手|客户端|两微"
_NOT_ISSUED = "规范性|解读|申请|会议|简报|信息|公开"
_NOT_DISCLOSED = "申请|规范性|不公开|不予公开|部分公开"
# New followers or accounts are this year's growth, not the number the agency has.
_GROWTH = "新增|增加|增长"
_NOT_ACCOUNTS = "关停|注销|清理|整合|下线|关闭|撤销|合并|整改|抽查|检查|微博|微信|公众号|" + _GROWTH
# Meetings and inspections about a channel are counted in 次 too, but are not its cases.
_EVENTS = "会议|座谈|推进会|调度会|联席会|检查|督查|督导|调研|演练|培训|评议"
# Columns and seats are what a platform has, not what it handled or published.
_FIXTURES = "专栏|栏目|板块|专区|频道|坐席|座席|席位|线路|接线员|话务员"
_NOT_HOTLINE = "留言|信箱|网民|信访|" + _FIXTURES + "|" + _EVENTS
# 信访举报投诉类申请 is a kind of disclosure application (表三), not a petition case.
_NOT_PETITION = "热线|12345|留言|信箱|申请|" + _EVENTS
_NOT_MESSAGES = "热线|电话|" + _EVENTS
# Trainings of the public (farming, jobs, safety) are not the agency's disclosure trainings.
_NOT_TRAINING = "技能|就业|职业|农|种植|养殖|安全生产|消防|创业|家政|电商|培训人员|人次"
# 受理并答复…申请2件 counts what was received (and answered); a bare 答复…件 counts replies.
_NOT_REQUESTS = "结转|上年|去年|办结|(?<![并和及])答复|行政复议|诉讼|举报|投诉|信访|" + _EVENTS
# What a disclosure application is called.
_APPLICATION = (r"(?:(?:政府)?信息公开(?:的)?申请|公开申请|依申请公开(?:政府信息)?(?:的)?(?:申请|事项)?"
                r"|申请公开政府信息(?:的申请|(?:办理)?事项)?)")


def _gap_without(words: str) -> str:
    """A gap inside one sentence, like <G>, that names none of ``words`` (alternatives separated by |)."""
    return rf"(?:(?!{words})[^;。!?\n]){{0,80}}?"


@dataclass(frozen=True)
class Rule:
    """One wording of one fact: a compiled pattern and what its scope must not name."""

    key: str
    pattern: re.Pattern[str]
    exclude: re.Pattern[str] | None = None
    part_ok: bool = False  # the wording itself names a part (其中主动公开), so 其中 does not disqualify it
    zero: bool = False  # a statement of none: the value is 0 and there is no number


def _rule(key: str, pattern: str, units: str = "", exclude: str = "", *, followers: bool = False,
          part_ok: bool = False, zero: bool = False) -> Rule:
    """Compile a rule written with <N> (the count), <APPLICATION> and the placeholders of _TEMPLATE."""
    count = _FOLLOWERS if followers else _COUNT.replace("{units}", units)
    pattern = pattern.replace("<APPLICATION>", _APPLICATION)
    for name, piece in _TEMPLATE.items():
        pattern = pattern.replace(name, piece)
    pattern = pattern.replace("<N>", count)
    return Rule(key, re.compile(pattern), re.compile(exclude) if exclude else None, part_ok, zero)


# The rule table, in order of preference within each key. (?P<q>…) marks where a quote starts when the
# pattern carries context before it (发文149件，主动公开51件: the fact is the second count).
RULES: tuple[Rule, ...] = (
    _rule("documents_issued", r"发文(?:总数|数量)?<g><N>", "件|份", _NOT_ISSUED),
    _rule("documents_issued", r"(?:印发|制发|下发|出台)<g>(?:文件|公文)<g><N>", _ITEMS, _NOT_ISSUED),
    _rule("documents_issued", r"(?:印发|制发|下发)<g><N><g>(?:文件|公文)", _ITEMS, _NOT_ISSUED),

    _rule("documents_disclosed", r"公开(?:政府|行政)?(?:文件|公文)<g><N>", _ITEMS, _NOT_DISCLOSED, part_ok=True),
    # The kind or the issuing bodies named between (公开各类政府文件121件, 公开市政府、市政府办公室文件117件)
    _rule("documents_disclosed",
          r"公开(?:各类|各项)?[^,;:。!?\n\d]{0,12}?(?:政府|办公室|办公厅|行政)(?:文件|公文)<g><N>",
          _ITEMS, _NOT_DISCLOSED, part_ok=True),
    # 公开以区政府、区政府办名义下发的文件23件
    _rule("documents_disclosed", r"公开[^,;:。!?\n]{0,16}?(?:下发|印发|制发)的(?:文件|公文)<g><N>", _ITEMS,
          _NOT_DISCLOSED,
          part_ok=True),
    _rule("documents_disclosed", r"(?:发文|印发|制发)[^,;:。!?\n]{0,20}?<ANY>\s*[,、]\s*(?:其中)?\s*"
          r"(?P<q>(?:主动)?公开<N>)", _ITEMS, part_ok=True),

    _rule("website_posts", r"<WEB><G><PUB><g><NOUN><N>", _POSTS + "|件", _NOT_WEBSITE, part_ok=True),
    _rule("website_posts", r"<WEB><G><PUB><N>(?:<g><NOUN>)?", _POSTS, _NOT_WEBSITE, part_ok=True),
    # The kinds listed before the noun (公开财政资金、发展规划、稳岗就业等各类信息12500余条): the site's total.
    _rule("website_posts", r"<WEB><G><PUB>[^,;:。!?\n\d]{0,40}?等(?:各类|各项)?<NOUN><N>", _POSTS, _NOT_WEBSITE,
          part_ok=True),
    # A part of the year's total by channel: 主动公开信息775条，其中政务网站162条
    _rule("website_posts", r"<WEB><N>", _POSTS, _NOT_WEBSITE, part_ok=True),
    # The site named before a cumulative count, then this year's (…累计发布信息20437条，本年度新增发布3673条).
    _rule("website_posts", rf"<WEB>{_gap_without(_NOT_WEBSITE)}[,;](?P<q><YEAR><PUB>(?:<g><NOUN>)?<N>)", _POSTS,
          _NOT_WEBSITE, part_ok=True),

    _rule("weibo_posts", r"微博(?!等)<G>(?:<PUB>|发博)(?:<g><NOUN>)?<N>(?:<g><NOUN>)?", _POSTS, _NOT_WEIBO,
          part_ok=True),
    _rule("weibo_posts", r"<PUB>(?:政务)?微博(?:信息|博文)?<N>", _POSTS, _NOT_WEIBO, part_ok=True),
    _rule("weibo_posts", r"微博<N>", _POSTS, _NOT_WEIBO, part_ok=True),
    _rule("weibo_posts", rf"微博{_gap_without(_NOT_WEIBO)}[,;](?P<q><YEAR><PUB>(?:<g><NOUN>)?<N>)", _POSTS,
          _NOT_WEIBO, part_ok=True),
    _rule("wechat_posts", r"<WX><G><PUB>(?:<g><NOUN>)?<N>(?:<g><NOUN>)?", _POSTS, _NOT_WECHAT, part_ok=True),
    _rule("wechat_posts", r"<PUB>(?:政务)?(?:微信|公众号)(?:信息|文章|推文)?<N>", _POSTS, _NOT_WECHAT, part_ok=True),
    _rule("wechat_posts", r"<WX><N>", _POSTS, _NOT_WECHAT, part_ok=True),  # 其中…，微信公众号2841条
    _rule("wechat_posts", rf"<WX>{_gap_without(_NOT_WECHAT)}[,;](?P<q><YEAR><PUB>(?:<g><NOUN>)?<N>)", _POSTS,
          _NOT_WECHAT, part_ok=True),

    _rule("weibo_followers", r"微博<g><FOLLOW><g><N>", exclude=_NOT_WEIBO + "|" + _GROWTH, followers=True),
    # The platform a clause or two before (微博全年发博1024条，粉丝数8900人), with no other platform named
    # between them; the quote starts at the followers word, and only its clause must be free of others.
    # The gap stops at the first followers word: the nearest one is meant, and a text full of them stays
    # linear with a small constant.
    _rule("weibo_followers", rf"微博{_gap_without(_NOT_WEIBO + '|' + _FOLLOW)}(?P<q><FOLLOW><g><N>)",
          exclude=_NOT_WEIBO + "|" + _GROWTH, followers=True),
    _rule("wechat_followers", r"<WX><g><FOLLOW><g><N>", exclude=_NOT_WECHAT + "|" + _GROWTH, followers=True),
    _rule("wechat_followers", rf"<WX>{_gap_without(_NOT_WECHAT + '|' + _FOLLOW)}(?P<q><FOLLOW><g><N>)",
          exclude=_NOT_WECHAT + "|" + _GROWTH, followers=True),

    _rule("new_media_accounts", r"<RUN><g>新媒体(?:账号|帐号|平台)?<g><N>", "个|家", _NOT_ACCOUNTS),
    _rule("new_media_accounts", r"<RUN><g><N><g>新媒体", "个|家", _NOT_ACCOUNTS),
    _rule("new_media_accounts", r"政务新媒体(?:账号|帐号|平台)?(?:共|总数|数量)?(?:为|达)?<N>", "个|家", _NOT_ACCOUNTS),

    # Not across a list of kinds (推送政策解读、工作动态等信息936条): that counts the whole list.
    _rule("policy_interpretations", r"解读(?:文章|材料|稿件|信息|文件|类信息)?(?:(?!等)[^,;:。!?\n、]){0,10}?<N>",
          "篇|件|条|期|个|份|次",
          _FIXTURES + "|" + _EVENTS),
    _rule("policy_interpretations", r"(?:发布|制作|推出|编发|撰写|刊发)<g><N><g>解读", "篇|件|条|期|个|份",
          _FIXTURES + "|" + _EVENTS),

    # Not 人次: people served (接听咨询2903人次) are not the cases handled (办理诉求518件).
    _rule("hotline_cases", r"(?:热线|12345|咨询电话)<g><N>", "件|个|次|通|条|宗|起|单", _NOT_HOTLINE),
    _rule("hotline_cases", r"(?:热线|12345)<G>(?:办理|受理|办结|转办)(?:群众)?(?:诉求|工单|来电|事项)<g><N>",
          "件|个|条|单", _NOT_HOTLINE),
    # 热线累计受理…39024件，其中本年度受理8825件: this year's count after the cumulative one
    _rule("hotline_cases", rf"(?:热线|12345){_gap_without(_NOT_HOTLINE)}[,;]"
          r"(?P<q>(?:其中)?<YEAR>(?:受理|办理|办结|接听|转办)"
          r"<g><N>)", "件|个|条|单", _NOT_HOTLINE),

    _rule("petition_cases", r"(?:信访|来信来访)<g><N>", "件|起|宗|批次|批|个|次|封", _NOT_PETITION),

    _rule("online_messages", r"(?:留言|信箱|网上投诉|在线咨询|网上咨询|网民咨询|网民诉求)<g><N>", "条|件|封|个|次|则",
          _NOT_MESSAGES),
    _rule("online_messages", r"(?:收到|受理|回复|答复|办理|办结)<g><N><g>(?:留言|来信|咨询)", "条|件|封|个|则",
          _NOT_MESSAGES),

    _rule("press_conferences", r"发布会<g><N>", "场次|场|次|期|个"),
    _rule("press_conferences", r"(?:召开|举办|举行|组织)<g><N><g>发布会", "场|次|期|个"),

    _rule("trainings", r"培训(?:会|班|活动|课)?<g><N>", "场次|次|场|期|轮|批|个", _NOT_TRAINING),
    _rule("trainings", r"(?:开展|组织|举办|召开|参加|参与)<g><N><g>培训", "场次|次|场|期|轮|批|个", _NOT_TRAINING),

    # The table's own term first: 共受理…59件，其中新收到…47件 (受理 counts the carried-over ones too).
    _rule("requests_received", r"(?:新收到|新收|新受理)<g><APPLICATION>(?:数量|事项)?<g><N>", "件|份|个|条|宗|例",
          _NOT_REQUESTS, part_ok=True),
    _rule("requests_received", r"<GET><g><APPLICATION>(?:数量|事项)?<g><N>", "件|份|个|条|宗|例", _NOT_REQUESTS),
    _rule("requests_received", r"<GET><g><N><g>(?:(?:政府)?信息公开申请|依申请公开)", "件|份|个|条|宗|例",
          _NOT_REQUESTS),
    # Who filed them named between (收到公众向州政府办公室提交的政府信息公开申请42件)
    _rule("requests_received", r"<GET>[^,;:。!?\n申\d]{0,24}?(?:提出|提交)的<APPLICATION>(?:数量|事项)?<g><N>",
          "件|份|个|条|宗|例", _NOT_REQUESTS),
    # 全区共收到…申请1801件，其中本局本级收到68件: the agency's part of a region's total
    _rule("requests_received", r"<GET><g><APPLICATION>[^;。!?\n]{0,20}?,(?P<q>其中[^,;。!?\n]{0,12}?<GET><N>)",
          "件|份|个|条|宗|例", _NOT_REQUESTS),
    # The subject may be named between (未收到公民、法人或其他组织提出的…申请), but not 申请 itself:
    # "未收到申请超出一定数量…的申请" is about fees, not about receiving none.
    _rule("requests_received", r"(?:未|没有|无)<GET>(?:过)?(?:\([^)]{0,4}\))?(?:任何(?:形式)?的?)?"
          r"(?:[^,;:。!?\n申]{0,24}?(?:提出|提交)的)?<APPLICATION>", zero=True),
    _rule("requests_received", r"(?:无|没有|未发生)依申请公开(?:政府信息)?(?:的)?(?:申请|事项|情况)", zero=True),

    _rule("fees_collected", r"处理费<g><N>", "元"),
    # Not a bare 不收取: "对…未超过规定的，不收取信息处理费" states the rule, not what happened.
    _rule("fees_collected", r"(?:(?:未|没有|无)(?:收取|收缴|产生|发生|涉及)|不涉及)<g>处理费", zero=True),
    _rule("fees_collected", r"(?:信息公开|依申请)[^;。!?\n]{0,20}?(?:未|没有|不)(?:收取|收缴)(?:任何)?费用", zero=True),
)

# Words every wording of a key contains: a text without any of them is not searched for that key (a
# literal test is far cheaper than a regex scan). Keep in step with RULES.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "documents_issued": ("发文", "文件", "公文"), "documents_disclosed": ("公开",),
    "website_posts": ("网", "信息公开专栏"),
    "weibo_posts": ("微博",), "wechat_posts": ("微信", "公众号"), "weibo_followers": ("微博",),
    "wechat_followers": ("微信", "公众号"), "new_media_accounts": ("新媒体",), "policy_interpretations": ("解读",),
    "hotline_cases": ("热线", "12345", "咨询电话"), "petition_cases": ("信访", "来信来访"),
    "online_messages": ("留言", "信箱", "投诉", "咨询", "诉求", "来信"), "press_conferences": ("发布会",),
    "trainings": ("培训",), "requests_received": ("申请",), "fees_collected": ("费",),
}

# Any count of things, for the "no other count in between" test. Counts of people (关注人数5600人, 培训200
#人次) are left out: they describe the subject at hand rather than start another one.
_UNITS_OF_ANY = r"(?:件|条|篇|个|次|场|期|份|封|家|项|批|起|宗|例|轮|处|元|则|通|单|本|张|所|类|种)"
_ANY_COUNT_HERE = re.compile(rf"{NUMBER}(?:{_S}[万千])?(?:{_S}[余多])?{_S}{_UNITS_OF_ANY}")  # with .match only
# Searched, a number starts only where its run of digits (or of Chinese numerals) starts: tried at every
# character of a long run, each start read to the run's end and failed again (quadratic: 8,000 digits before
# a keyword took seconds). A start inside a run has the run's continuation, so it matches only where the
# run's start does; the one exception, a window that opens inside a run, is tried first with the pattern
# above (``_count_in``, ``_counts``).
_COUNT_NUMBER = (r"(?:(?<!\d)\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<!\d)\d+(?:\.\d+)?"
                 r"|(?<![零〇一二两三四五六七八九十百千])[零〇一二两三四五六七八九十百千]+)")
assert re.sub(r"\(\?<!(?:\\d|\[[^]]+\])\)", "", _COUNT_NUMBER) == NUMBER  # the same number, anchored
_ANY_COUNT = re.compile(rf"{_COUNT_NUMBER}(?:{_S}[万千])?(?:{_S}[余多])?{_S}{_UNITS_OF_ANY}")
_CLAUSE_CHARS = ",;:。!?\n"
_FIXTURE_BEFORE = re.compile(rf"(?:{_FIXTURES})$")
_CLAUSE_END = re.compile(f"[{_CLAUSE_CHARS}]")
# In the number's own clause: a part (其中, 分别), a frequency (每月), a change (增加, 同比), a plan (将, 计划).
_FREQUENCY = re.compile(r"每(?:年|月|周|季度?|天|日|半年)|平均|人均|日均|周均|月均|年均")
_NOT_THE_TOTAL = re.compile(r"其中|分别|每(?:年|月|周|季度?|天|日|半年)|平均|人均|日均|周均|月均|年均"
                            r"|同比|环比|较上年|较去年|比上年|增加|减少|增长|下降"
                            r"|将|计划|拟|预计|力争|争取|目标")
# Before a count in its scope: the count is region-wide (全区各级…, 指导各单位…), not the agency's own.
_REGION = re.compile(r"全(?:省|市|州|盟|县|区|旗|镇|乡|街道|系统)|各级|各地|各(?:县|区|市|乡镇|镇|乡|街道|单位|部门)"
                     r"|指导")
# A cumulative figure (历年累计, 截至年底, 自开通以来): not this year's. 全年累计 is this year's total.
_CUMULATIVE = re.compile(r"(?<!全年)(?<!本年)(?<!年度)(?<!今年)(?<!年内)累计|历年|自[^,;。]{0,10}以来|至今")
# 其中 that narrows to this year (其中本年度受理…): the part wanted, not a part of the total.
_THIS_YEAR_PART = re.compile(r"其中[^,;。]{0,4}?(?:本年度?|今年|全年|当年|\d{4}\s*年)")
# A body whose region's figures are its own: the people's government of a place, its office (which reports
# for it: 原州区人民政府办公室's 全区开设…政务新媒体22个), a street office; a title may name the place alone
# (隆德县联财镇: 全镇已通过政务网公开发布…82条).
_GOVERNMENT = re.compile(r"(?:省|市|州|盟|县|区|旗|镇|乡|街道)(?:人民政府|政府)?(?:办公室|办公厅)?$|办事处$")
# The level of a site's level word (1 a province … 3 a county), as service.places counts a unit's.
_SITE_LEVEL = {"省": 1, "市": 2, "州": 2, "县": 3, "区": 3}
# A government website named by its level, maybe after a place (哈尔滨市政府网站, 县政府门户网站), or after a time
# word (本年度区政府门户网站: 本年度 is no place).
_SITE = re.compile(r"(?P<cn>中国政府网)|(?:(?<=[在通过托用于向、,和及年度内])|(?<=其中)|^)"
                   r"(?P<place>[^\W\d_在通过依托利用于向和及的对其年度]{0,5}?)"
                   r"(?P<lvl>省|市|州|县|区)(?:人民)?政府(?:门户)?(?:网|信息公开)", re.M)
_CUMULATIVE_OK = frozenset({"weibo_followers", "wechat_followers", "new_media_accounts"})
_SENTENCE_END = ";。!?\n"
Qualifier = Literal["exact", "approx", "more_than", "at_least"]
_QUALIFIER_PRE: dict[str, Qualifier] = {
    "大约": "approx", "约": "approx", "将近": "approx", "近": "approx", "超过": "more_than", "逾": "more_than",
    "多达": "more_than", "突破": "more_than", "不少于": "at_least", "不低于": "at_least"}
_QUALIFIER_POST: dict[str, Qualifier] = {"以上": "at_least", "左右": "approx", "有余": "more_than"}


def read_facts(text: str, view: str, skip: tuple[int, int] | None = None,
               tables: Sequence[tuple[int, int]] = (), agency: str | None = None) -> dict[str, Fact]:
    """The facts the prose states; ``skip`` (section 五) and ``tables`` (their spans) are not read.

    ``agency`` (the reporting body) decides whether a region-wide figure is its own: 全区… is the own
    figure of a 区人民政府, and another body's region in the report of a department or an office.

    The rules read the prose as a flow (``flow.py``): a sentence wrapped across lines or a page break is one
    sentence again; spans map back to the text.
    """
    facts: dict[str, Fact] = {}
    prose = flow(view, _zones(len(view), [*([skip] if skip else []), *tables]))
    governs = agency is None or _GOVERNMENT.search(agency) is not None  # unknown: region figures kept
    absent = {key for key, words in TRIGGERS.items() if not any(w in prose.text for w in words)}
    for rule in RULES:
        if rule.key in facts or rule.key in absent:
            continue
        fact = _first(rule, text, prose, governs, agency)
        if fact is not None:
            facts[rule.key] = fact
    return facts


def _zones(size: int, skips: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The stretches of the text outside every skipped span, in order."""
    zones, pos = [], 0
    for start, end in sorted(skips):
        if start > pos:
            zones.append((pos, start))
        pos = max(pos, end)
    if pos < size:
        zones.append((pos, size))
    return zones


def _first(rule: Rule, text: str, prose: Flow, governs: bool = False, agency: str | None = None) -> Fact | None:
    """The first match of ``rule`` in the flow that its context confirms."""
    pos, view = 0, prose.text
    # search, not finditer: a rejected match must not hide a later keyword inside it.
    while (m := rule.pattern.search(view, pos)) is not None:
        fact = _judge(rule, m, text, prose, governs, agency)
        if fact is not None:
            return fact
        pos = m.start() + 1
    return None


def _judge(rule: Rule, m: re.Match[str], text: str, prose: Flow, governs: bool = False,
           agency: str | None = None) -> Fact | None:
    """The fact a match states, or None when its context says it is not the agency's own total."""
    view = prose.text
    anchor = m.start("q") if "q" in rule.pattern.groupindex and m.group("q") is not None else m.start()
    at = m.end() if rule.zero else m.start("num")
    qualifier: Qualifier = "exact"
    if rule.zero:
        value = Decimal(0)
    else:
        if _count_in(view, anchor, at):
            return None
        parsed = _value(m)
        if parsed is None:
            return None
        value, qualifier = parsed
    # The scope of the keyword: its clause, or from the last count before it (微信…386条，微博…516条).
    scope = _clause_start(view, anchor)
    for before in _counts(view, scope, anchor):
        scope = before.end()
    if rule.exclude is not None and _names_other(rule.exclude, view, scope, at):
        return None
    # A platform named clauses before its count: its own clause must not name another (微博、微信公众号，…).
    if rule.exclude is not None and anchor != m.start() and rule.exclude.search(view, _clause_start(view, m.start()),
                                                                                m.start()):
        return None
    if not rule.zero and not _own_total(rule, view, scope, at, governs, agency, anchor):
        return None
    # Quote from the keyword's clause, unless the keyword stands several clauses before the number.
    near = len(_CLAUSE_END.findall(view, anchor, at)) <= 1
    start, end = clean_bounds(view, _clause_start(view, anchor if near else at), m.end())
    if start >= end:
        return None
    start, end = prose.span(start, end)
    return Fact(value=value, qualifier=qualifier, quote=text[start:end], span=Span(start=start, end=end),
                grounding="exact")


def _superior_site(view: str, scope: int, at: int, agency: str | None) -> bool:
    """Whether the website named last before ``at`` is a superior's (盐城市政府网站 in 大丰区's report).

    The agency's name is a chain of places (盐城市 大丰区; 五常市 民意乡). Its own site is at its own
    place, or, for a township or street, which publishes on its county's portal, at the place above it. A
    site named with a place higher in the chain or outside it (哈尔滨市政府网站 for 五常市民意乡), or by a
    level word above that (市政府网站 for a county), is a superior's; 中国政府网 always.
    """
    units, _ = split_name(agency or "")
    chain = [(unit, unit_level(unit)) for unit in units]
    if not chain:
        return False
    site = None
    for site in _SITE.finditer(view, scope, at):  # noqa: B007 - the last site named before the count
        pass
    if site is None:
        return False
    if site.group("cn"):
        return True
    allowed = len(chain) - (2 if chain[-1][1] == TOWNSHIP and len(chain) > 1 else 1)
    place, level = site.group("place"), site.group("lvl")
    if place:
        names = [name for name, _ in chain]
        return place + level not in names or names.index(place + level) < allowed
    return _SITE_LEVEL[level] < chain[allowed][1]


def _names_other(exclude: re.Pattern[str], view: str, lo: int, hi: int) -> bool:
    """Whether ``view[lo:hi]`` names an excluded word outside quotes (“番禺政府网”微信公众号 names no website)."""
    for m in exclude.finditer(view, lo, hi):
        if view.count("“", lo, m.start()) <= view.count("”", lo, m.start()):
            return True
    return False


def _own_total(rule: Rule, view: str, scope: int, at: int, governs: bool = False,
               agency: str | None = None, anchor: int = -1) -> bool:
    """Whether the count at ``at`` is the agency's own figure for the year, as its words before it say.

    Not when its scope is region-wide (全区各级政府网站…) or cumulative (累计, 截至年底); not a part
    (其中), a frequency, a change or a plan, unless 其中 narrows a region-wide or cumulative figure down to
    this one (全区…共举办52场，其中本机关举办6场; 累计受理…，其中本年度受理…) or names the key's own thing.
    """
    if not governs and _REGION.search(view, scope, at):
        return False
    if rule.key == "website_posts" and _superior_site(view, scope, at, agency):
        return False
    if rule.key not in _CUMULATIVE_OK and _CUMULATIVE.search(view, scope, at):
        return False
    clause = _clause_start(view, at)
    if _FREQUENCY.search(view, clause, at):
        return False  # 日均发布信息3条: a rate, whatever the wording
    if rule.part_ok:
        return True
    hit = _NOT_THE_TOTAL.search(view, clause, at)
    if hit is None:
        return True
    if hit.group(0) != "其中" or _NOT_THE_TOTAL.search(view, hit.end(), at):
        return False
    if anchor >= hit.end() and view[hit.end():anchor] in ("", "政策", "政务", "各类"):
        return True  # 其中 names this very thing: 发布信息168条，其中政策解读9篇 (all the interpretations)
    sentence = max(view.rfind(c, 0, clause) for c in _SENTENCE_END) + 1
    return bool(_THIS_YEAR_PART.match(view, hit.start(), at) or not governs and _REGION.search(view, sentence, clause)
                or _CUMULATIVE.search(view, sentence, clause))


def _count_in(view: str, lo: int, hi: int) -> bool:
    """Is there a count of things in ``view[lo:hi]``? A platform's fixtures (栏目7个) compete with no count."""
    return any(_FIXTURE_BEFORE.search(view, max(0, m.start() - 4), m.start()) is None for m in _counts(view, lo, hi))


def _counts(view: str, lo: int, hi: int) -> Iterator[re.Match[str]]:
    """The counts of things in ``view[lo:hi]``, in order (their ends are what ``_judge`` reads)."""
    first = _ANY_COUNT_HERE.match(view, lo, hi)
    if first is not None:
        yield first
        lo = first.end()
    yield from _ANY_COUNT.finditer(view, lo, hi)


def _clause_start(view: str, pos: int) -> int:
    """Start of the clause holding ``pos``."""
    return max(view.rfind(c, 0, pos) for c in _CLAUSE_CHARS) + 1


def _value(m: re.Match[str]) -> tuple[Decimal, Qualifier] | None:
    """The number of a count match with its qualifier (余 → more_than, 约 → approx, 以上 → at_least)."""
    value = parse_number(m.group("num"), m.group("mult") or m.groupdict().get("mult2"))
    if value is None:
        return None
    qualifier: Qualifier = "exact"
    if m.group("pre") in _QUALIFIER_PRE:
        qualifier = _QUALIFIER_PRE[m.group("pre")]
    if m.group("more"):
        qualifier = "more_than"
    if m.group("post"):
        qualifier = _QUALIFIER_POST[m.group("post")]
    return value, qualifier
