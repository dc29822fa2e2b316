"""Write the development corpus (eval/corpus/cases/) and its manifest from hand-written templates.

``python eval/corpus/generate.py`` rewrites every case. Nothing here is copied from a published report:
each template is our own wording that reproduces a *shape* observed in real reports (the addresses are in
``SOURCES`` and, per case, in manifest.json): how section 五 lists its problems and where the measures begin,
how section 一 states its counts and which distracting numbers stand near them, and how the text is broken
into lines (one line per paragraph, a section on one line, the whole report on one line, or PDF text wrapped
mid-sentence with page numbers and running headers in between). Figures are of the sizes real reports give.

Every template carries its labels (the facts with their values and qualifiers, the problems as the report
words them), written with the template by reading it, per the labelling rules (eval/README.md); the blind second
labelling and the reconciliation are recorded in manifest.json (see eval/corpus/README.md).

Wordings are split: a template whose index in its bank is ``≡ 2 (mod 3)`` is used only by *held-out* cases
(names ``ho-…``), the others only by *development* cases (``dev-…``), so the held-out score is on wordings the
rules were not tuned on.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "cases"
PER_SHAPE = 42  # cases per problem shape (each case also carries facts of one primary fact shape)

# Where each shape was observed (read with the search tool's pages corpus; nothing copied).
SOURCES: dict[str, list[str]] = {
    "P1_inline_ru": ["https://www.xjbl.gov.cn/info/1037/6799.htm",
                     "http://www.hunnan.gov.cn/zwgk/zfxxgknb/2022/2022bmdnbg/202301/t20230118_4373320.html"],
    "P2_yishi_after_intro": ["http://www.conghua.gov.cn/zwgk/zjgb/zfxxgkgzndbgbm/content/post_8765431.html",
                             "https://m.zjtcn.com/news/50268662.html"],
    "P3_headed_blocks": ["https://news.iaiso.net/87315360dfe5a318ab40c56c/6845471434842366322.html",
                         "https://www.hhjs.gov.cn/info/2961/171731.htm"],
    "P4_numbered": ["http://www.cncdsbwlw.com/art/2022/1/12/art_1229327318_3947317.html",
                    "https://www.hhjs.gov.cn/info/2961/171731.htm"],
    "P5_plain_paragraph": ["http://www.hunnan.gov.cn/zwgk/zfxxgknb/2022/2022bmdnbg/202301/t20230118_4373320.html",
                           "https://m.dwrock.com/dx/ndbg/201502/80b8ce1f6cda48d19d0a6426dc18b574.shtml",
                           "(Kaiping 开平市农业农村局 2020 report, pages corpus, traditional-script mirror)",
                           "(Wuchang 五常市民意乡 2021 report, pages corpus)"],
    "P6_no_problems": ["https://www.xjbl.gov.cn/info/1037/6799.htm (measures as 一是… list)",
                       "http://www.hhtz.gov.cn/art/2025/1/15/art_1229230631_4327083.html"],
    "P7_measures_listed": ["https://www.xjbl.gov.cn/info/1037/6799.htm",
                           "https://m.zjtcn.com/news/50268662.html"],
    "F1_platform_counts": ["https://www.kazuo.gov.cn/html/KZXZF/202601/0176869810066763.html",
                           "http://www.fuxian.gov.cn/zfxxgk/zfxxgknb/xz/2021/1571424084523327490.html",
                           "http://rongchang.gov.cn/jz/plz/zwgk_70755/zfxxgknb_70772/202501/t20250116_14168474.html"],
    "F2_cumulative_vs_year": ["http://www.shishi.gov.cn/zwgk/zfxxgkzl/xzjdzfxxgk/hszrmzf/zfxxgkndbg/202201/t20220128_2692888.htm",
                              "http://www.tsqs.gov.cn/info/1082/16404.htm"],
    "F3_own_vs_region": ["http://www.tsqs.gov.cn/info/1082/16404.htm",
                         "https://shanghai.gov.cn/nw12344/20230331/4a03b5fa47ae4c73b7ec42801de6be66.html (2022)"],
    "F4_units": ["http://365betchina.com/zwgk/szfgz/szfbgs/bmwj/content/post_3938658.html (a Guangdong city's 2024 report on a mirror)",
                 "http://www.wenzhou.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=001008003015001&fbtime=2022"],
    "F5_numerals_wan": ["https://www.dafeng.gov.cn/art/2025/1/22/art_45469_4279894.html",
                        "http://www.jsxishan.gov.cn/doc/2024/01/08/4153378.shtml"],
    "F6_platform_then_counts": ["http://www.weibin.gov.cn/col15477/col15481/col18833_1/col18835/202501/t20250121_1113023.html",
                                "https://www.dafeng.gov.cn/art/2025/1/22/art_45469_4279894.html"],
    "F7_other_things_counted": ["http://www.ahfeixi.gov.cn/zwdt/zwyw/119978973.html",
                                "https://news.iaiso.net/87315360dfe5a318ab40c56c/6845471434842366322.html"],
    "L_section_one_line": ["http://www.conghua.gov.cn/zwgk/zjgb/zfxxgkgzndbgbm/content/post_8765431.html"],
    "L_report_one_line": ["http://szdsmf.com/zfxxgkzl/xzjdbmdw/xzjd/zqxblx/zfxxgknb/n2021n.htm",
                          "http://www.tsqs.gov.cn/info/1082/16404.htm"],
    "L_pdf_wrapped": ["https://jtt.shandong.gov.cn/jtt2020ndbg/files/basic-html/page2.html",
                      "https://m.pinggu.org/bbs/thread-15273420-1-1.html"],
}


@dataclass(frozen=True)
class Agency:
    """A reporting body: its name, level, province, how it names itself and its platforms."""

    name: str
    level: str
    province: str
    we: str
    site: str
    superior: str
    region: str
    wx: str
    wb: str


AGENCIES = (
    Agency("喀左县人民政府办公室", "county", "辽宁", "县政府办公室", "县政府门户网站", "市政府网站", "全县", "喀左发布", "喀左政务"),
    Agency("大城子街道办事处", "township", "辽宁", "我街道", "县政府网站街道专栏", "市政府网站", "全街道", "大城子之声", "大城子发布"),
    Agency("宝鸡市渭滨区人民政府办公室", "county", "陕西", "区政府办", "区政府门户网站", "市政府网站", "全区", "渭滨发布", "渭滨微博"),
    Agency("富县张家湾镇人民政府", "township", "陕西", "我镇", "富县人民政府网", "市政府网站", "全镇", "印象张家湾", "张家湾发布"),
    Agency("温州市人民政府办公室", "city", "浙江", "市政府办公室", "市政府门户网站", "省政府网站", "全市", "温州发布", "温州政务"),
    Agency("杭州市滨江区审计局", "department", "浙江", "我局", "区政府门户网站审计信息专栏", "市政府网站", "全区", "滨江审计", "滨江审计"),
    Agency("盐城市大丰区人民政府", "county", "江苏", "区政府", "区政府门户网站", "盐城市政府网站", "全区", "大丰发布", "幸福大丰"),
    Agency("无锡市锡山区厚桥街道办事处", "township", "江苏", "厚桥街道", "区政府网站", "市政府网站", "全街道", "厚桥发布", "厚桥微博"),
    Agency("清远市清新区人民政府办公室", "county", "广东", "区政府办公室", "区政府门户网站", "市政府网站", "全区", "清新发布", "清新政务"),
    Agency("开平市农业农村局", "department", "广东", "我局", "市政府门户网站农业专栏", "江门市政府网站", "全市", "开平农业", "开平农业"),
    Agency("云浮市人民政府办公室", "city", "广东", "市政府办公室", "市政府门户网站", "省政府网站", "全市", "云浮发布", "云浮发布"),
    Agency("五常市民意乡人民政府", "township", "黑龙江", "我乡", "五常市政府信息公开专栏", "哈尔滨市政府网站", "全乡", "民意乡", "民意乡发布"),
    Agency("清水县人民政府", "county", "甘肃", "县政府", "县政府门户网站", "市政府网站", "全县", "清水发布", "清水政务"),
    Agency("建水县青龙镇人民政府", "township", "云南", "我镇", "建水县人民政府网站", "州政府网站", "全镇", "青龙镇", "青龙发布"),
    Agency("武汉市江岸区二七街道办事处", "township", "湖北", "二七街道", "区政府门户网站", "市政府网站", "全街道", "二七微邻里", "二七发布"),
    Agency("肥西县人民政府", "county", "安徽", "县政府", "县政府网站", "市政府网站", "全县", "肥西发布", "肥西发布"),
    Agency("山东省交通运输厅", "province", "山东", "省交通运输厅", "厅门户网站", "省政府网站", "全省交通运输系统", "山东交通", "山东交通"),
    Agency("重庆市荣昌区广顺街道办事处", "township", "重庆", "我街道", "区政府网站街道专栏", "市政府网站", "全街道", "广顺街道", "广顺发布"),
    Agency("沈阳市浑南区国资局", "department", "辽宁", "区政府国资局", "区政府门户网站国资信息专栏", "市政府网站", "全区", "浑南国资", "浑南国资"),
    Agency("博乐市文化体育广播电视和旅游局", "department", "新疆", "我局", "市政府网站文旅专栏", "州政府网站", "全市", "博乐文旅", "博乐文旅"),
    Agency("石狮市鸿山镇人民政府", "township", "福建", "鸿山镇", "石狮市政府门户网站", "泉州市政府网站", "全镇", "鸿山发布", "鸿山发布"),
    Agency("浙江省人民政府办公厅", "province", "浙江", "省政府办公厅", "省政府门户网站", "中国政府网", "全省", "浙江发布", "浙江发布"),
    Agency("天水市人民政府", "city", "甘肃", "市政府", "市政府门户网站", "省政府网站", "全市", "天水发布", "天水发布"),
    Agency("哈尔滨市香坊区人民政府", "county", "黑龙江", "区政府", "区政府门户网站", "市政府网站", "全区", "香坊发布", "香坊发布"),
)

# ---- numbers as reports write them ----------------------------------------------------------------

_CN = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    """A count below 1000 in Chinese numerals (十二, 三十六, 一百零五)."""
    if n < 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n - 10] if n > 10 else "")
    if n < 100:
        return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")
    h, rest = divmod(n, 100)
    if rest == 0:
        return _CN[h] + "百"
    if rest < 10:
        return _CN[h] + "百零" + _CN[rest]
    return _CN[h] + "百" + (_CN[rest // 10] + "十" if rest >= 10 else "") + (_CN[rest % 10] if rest % 10 else "")


@dataclass
class Num:
    """A rendered count: how it is written, its value and qualifier."""

    surface: str
    value: int
    qualifier: str = "exact"
    before: str = ""  # the words just before it in its sentence (to find it in the laid-out text)


def render(kind: str, rng: random.Random, lo: int, hi: int) -> Num:
    """A number of ``kind``: int, yu (余), duo (多), cn (Chinese numeral), wan (x.y万), cnyu (一百余)."""
    n = rng.randint(lo, hi)
    if kind == "int":
        return Num(str(n), n)
    if kind == "yu":
        n = max(10, round(n, -1) if n < 1000 else round(n, -2))
        return Num(f"{n}余", n, "more_than")
    if kind == "duo":
        n = max(10, round(n, -1))
        return Num(f"{n}多", n, "more_than")
    if kind == "cn":
        n = min(n, 99)
        return Num(cn_numeral(n), n)
    if kind == "cnyu":
        n = rng.choice([100, 200, 300, 400, 500])
        return Num(cn_numeral(n) + "余", n, "more_than")
    if kind == "wan":
        tenths = rng.randint(11, 99)
        return Num(f"{tenths // 10}.{tenths % 10}万", tenths * 1000)
    if kind == "pct":
        return Num(f"{rng.randint(5, 40)}.{rng.randint(1, 9)}%", 0)
    raise ValueError(kind)


# ---- section 一: fact sentences -------------------------------------------------------------------
# A template: text with <X:kind:lo-hi> number slots and {we} {site} {superior} {region} {wx} {wb} {y};
# labels: fact key -> slot, or (slot, qualifier) when the words (约, 超过, 突破) set the qualifier.


@dataclass(frozen=True)
class FactTemplate:
    """One sentence of section 一 with its labelled facts (key -> slot) and the fact shape it shows."""

    shape: str
    text: str
    labels: dict[str, Any] = field(default_factory=dict)


FACTS: tuple[FactTemplate, ...] = (
    # F1 platform counts (own platform, plain)
    FactTemplate("F1", "{y}年，{we}依托{site}主动发布各类政府信息<A:int:300-4000>条，其中工作动态<B:int:50-200>条、通知公告<C:int:10-60>条。", {"website_posts": "A"}),
    FactTemplate("F1", "全年通过{site}公开政府信息<A:yu:200-3000>条，较上年增长<P:pct:0-0>。", {"website_posts": "A"}),
    FactTemplate("F1", "“{wx}”微信公众号全年推送信息<A:int:80-900>条，关注人数达<B:int:2000-30000>人。", {"wechat_posts": "A", "wechat_followers": "B"}),
    FactTemplate("F1", "{y}年度主动公开信息<T:int:500-900>条，其中政务网站<A:int:100-300>条，微信公众号公开动态信息<B:int:50-150>条，微博公开动态信息<C:int:40-120>条。", {"website_posts": "A", "wechat_posts": "B", "weibo_posts": "C"}),
    FactTemplate("F1", "官方微博“{wb}”全年发博<A:int:300-2500>条，粉丝数<B:int:5000-90000>人。", {"weibo_posts": "A", "weibo_followers": "B"}),
    FactTemplate("F1", "{site}全年更新信息<A:int:150-2600>条，政务微信发布<B:int:100-700>条，政务微博发布<C:int:100-800>条。", {"website_posts": "A", "wechat_posts": "B", "weibo_posts": "C"}),
    # F2 cumulative vs this year
    FactTemplate("F2", "{y}年度，{we}主动公开政府信息<A:int:8-90>条，全文电子化率达100%；历年累计主动公开政府信息<B:int:500-9000>条。", {}),
    FactTemplate("F2", "截至年底，{site}累计发布信息<B:int:20000-90000>条，本年度新增发布<A:int:800-5000>条。", {"website_posts": "A"}),
    FactTemplate("F2", "“{wx}”公众号总关注用户<B:int:8000-60000>人，本年新增关注<C:int:300-3000>人，全年推送图文<A:int:200-800>篇。", {"wechat_followers": "B", "wechat_posts": "A"}),
    FactTemplate("F2", "政务微博“{wb}”累计发布信息<C:int:9000-40000>条，{y}年发布<A:int:400-1800>条，粉丝累计<B:int:10000-80000>人。", {"weibo_posts": "A", "weibo_followers": "B"}),
    FactTemplate("F2", "全年新增政务新媒体账号<C:int:1-5>个，目前共运营政务新媒体<A:int:6-30>个。", {"new_media_accounts": "A"}),
    FactTemplate("F2", "自开通以来，政务服务热线累计受理群众诉求<C:int:20000-90000>件，其中本年度受理<A:int:1000-9000>件。", {"hotline_cases": "A"}),
    # F3 own vs region-wide or superior
    FactTemplate("F3", "在{superior}公开信息<B:int:100-900>条，通过{site}发布政府信息<A:int:1000-6000>条。", {"website_posts": "A"}),
    FactTemplate("F3", "{region}各级政府网站共发布信息<B:int:10000-60000>条，其中{site}发布<A:int:1000-8000>条。", {"website_posts": "A"}),
    FactTemplate("F3", "{region}共收到政府信息公开申请<B:int:300-2000>件，其中{we}本级收到<A:int:5-90>件。", {"requests_received": "A"}),
    FactTemplate("F3", "指导{region}各单位开设政务新媒体<B:int:40-200>个，{we}自身运营政务新媒体<A:int:2-9>个。", {"new_media_accounts": "A"}),
    FactTemplate("F3", "{region}各级各部门共举办新闻发布会<B:int:60-300>场，其中{we}举办新闻发布会<A:int:3-20>场。", {"press_conferences": "A"}),
    FactTemplate("F3", "向{superior}报送政务信息<B:int:50-500>条，被采用<C:int:10-90>条。", {}),
    # F4 units 篇/条/期/次/件
    FactTemplate("F4", "围绕重点政策制发政策解读<A:int:5-60>件，其中图解<C:int:2-9>件。", {"policy_interpretations": "A"}),
    FactTemplate("F4", "依托政府网站“解读专栏”，共发布政策解读稿件<A:int:10-90>次，促进政策落地见效。", {"policy_interpretations": "A"}),
    FactTemplate("F4", "组织召开新闻发布会<A:int:3-30>期，聚焦重点领域通报工作进展。", {"press_conferences": "A"}),
    FactTemplate("F4", "举办政务公开业务培训<A:int:2-12>期，编辑出版政府公报<C:int:4-12>期。", {"trainings": "A"}),
    FactTemplate("F4", "全年办理网民留言<A:int:50-1800>条，开展征集调查活动<C:int:5-40>次。", {"online_messages": "A"}),
    FactTemplate("F4", "办理信访事项<A:int:20-400>件，按期办结率100%。", {"petition_cases": "A"}),
    # F5 Chinese numerals and 万
    FactTemplate("F5", "{y}年度{we}收到政府信息公开申请<A:cn:1-9>件，已全部办理完毕。", {"requests_received": "A"}),
    FactTemplate("F5", "{site}作为政府信息公开第一平台，全年共发布信息<A:wan:0-0>条。", {"website_posts": "A"}),
    FactTemplate("F5", "组织政务公开专题培训<A:cn:2-15>次，实现机关干部全覆盖。", {"trainings": "A"}),
    FactTemplate("F5", "全年通过{site}上传信息<A:cnyu:0-0>条。", {"website_posts": "A"}),
    FactTemplate("F5", "全年受理12345政务服务便民热线工单<A:wan:0-0>件，办结率98%以上。", {"hotline_cases": "A"}),
    FactTemplate("F5", "主要负责同志带头解读政策<A:cn:2-12>次。", {"policy_interpretations": "A"}),
    # F6 a platform named once, its counts clauses later
    FactTemplate("F6", "主办的“{wx}”微信公众号立足本地特色，及时转载政策文件和办事提醒，全年发布<A:yu:300-2000>条，粉丝量突破<B:wan:0-0>人。", {"wechat_posts": "A", "wechat_followers": ("B", "more_than")}),
    FactTemplate("F6", "“{wb}”政务微博坚持每日更新，拥有粉丝<B:duo:10-90>万，全年发布<A:int:800-3000>条微博。", {"weibo_followers": ("B*", "more_than"), "weibo_posts": "A"}),
    FactTemplate("F6", "我们把{site}作为发布主渠道，严格执行“三审三校”，全年发布各类信息<A:int:600-5000>条，未出现错漏。", {"website_posts": "A"}),
    FactTemplate("F6", "“{wx}”公众号开设办事指南、政策问答等栏目，全年推送<A:int:100-600>期，总阅读量<C:wan:0-0>次。", {"wechat_posts": "A"}),
    FactTemplate("F6", "12345热线是群众反映诉求的主渠道，{we}安排专人负责转办，全年办结工单<A:int:200-3000>件。", {"hotline_cases": "A"}),
    FactTemplate("F6", "{we}官方微博“{wb}”自开通以来运行平稳，本年度发布博文<A:int:200-1500>条。", {"weibo_posts": "A"}),
    # F7 counts belonging to another thing (栏目, 坐席, 部门, 人次 vs 次)
    FactTemplate("F7", "{site}新开设栏目<C:int:3-12>个，全年发布信息<A:int:1000-9000>条。", {"website_posts": "A"}),
    FactTemplate("F7", "热线电话接听咨询<C:int:300-3000>人次，办理诉求<A:int:100-900>件。", {"hotline_cases": "A"}),
    FactTemplate("F7", "举办政务公开培训<A:int:2-9>场次，培训干部<C:int:100-900>人次。", {"trainings": "A"}),
    FactTemplate("F7", "组织政务公开业务培训，覆盖<C:int:10-40>个部门。", {}),
    FactTemplate("F7", "“12345”热线共设坐席<C:int:20-90>个，实行7×24小时接听。", {}),
    FactTemplate("F7", "在线解答群众咨询<C:int:100-900>人次，回复网民留言<A:int:20-300>条。", {"online_messages": "A"}),
    FactTemplate("F7", "举办新闻发布会<A:cn:2-12>场，主要负责同志出席新闻发布会<C:int:5-30>人次。", {"press_conferences": "A"}),
)

# Sentences with numbers that are no fact, and fact statements of none.
FILLER = (
    "{y}年，{we}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，扎实推进政务公开各项工作。",
    "按时完成{prev}年度政府信息公开工作年度报告的编制和发布，公开部门预算<B:int:20-90>条、部门决算<C:int:20-120>条。",
    "开展在线访谈<C:int:2-20>场次，回应公众关注热点<D:int:5-40>个。",
    "建立信息发布审核机制，明确信息采编、审核、发布的责任主体，确保信息准确、权威。",
    "严格落实保密审查制度，全年未发生泄密事件。",
    "组织编制并公开主动公开事项目录清单，涵盖事项<C:int:20-90>项。",
)
ZERO_REQUESTS = (
    "{y}年，{we}未收到政府信息公开申请。",
    "本年度{we}未收到公民、法人或其他组织提出的政府信息公开申请。",
)
SECTION_SIX = (
    ("本年度{we}未收取信息处理费。", {"fees_collected": 0}),
    ("{we}无其他需要报告的事项。", {}),
    ("{y}年，{we}依申请公开政府信息未收取任何费用，无其他需要报告的事项。", {"fees_collected": 0}),
    ("暂无其他需要报告的事项。", {}),
)

# ---- section 五: problems and measures --------------------------------------------------------------

PROBLEMS = (
    "政策解读形式比较单一，图解、视频等形式运用较少",
    "部分栏目信息更新不够及时",
    "公开内容的深度和广度有待进一步拓展",
    "工作人员业务能力有待提升",
    "依申请公开答复的规范性还需加强",
    "政务新媒体与群众的互动回应不够",
    "基层政务公开标准化规范化建设推进较慢",
    "信息发布前的审核把关还不够严格",
    "对《条例》的学习培训还不够深入",
    "重点领域信息公开还不够全面",
    "公开形式的便民性、多样性有待提高",
    "专职人员较少，人员变动较为频繁",
    "回应社会关切的时效性不强",
    "政府信息公开目录还需进一步细化和完善",
    "历史信息清理不够彻底",
    "网站栏目设置不够科学合理",
    "公众参与政策制定的程度不高",
    "部分干部对信息公开工作的认识仍需增强",
    "部门之间的协调联动还不够紧密",
    "决策预公开的覆盖面较窄",
    "年报数据统计的准确性有待提高",
    "乡镇（街道）政务公开质量参差不齐",
    "政策文件与解读材料同步发布的比例不高",
    "政务公开专区的作用发挥不明显",
    "主动公开的及时性还有差距",
    "公开信息的可读性不强，群众看不懂的情况仍然存在",
    "依申请公开办理流程还不够规范",
    "信息公开平台的检索功能不够完善",
    "对下级单位的业务指导不够",
    "个别信息发布不及时，存在滞后现象",
)
SHORT_PROBLEMS = ("公开不及时", "缺乏专人管理", "内容不够全面", "解读形式单一", "更新频率偏低", "互动回应不足",
                  "业务培训不足", "公开意识不强")
ASPECTS = ("信息公开范围", "时效性", "解读质量", "平台建设", "互动回应", "公开深度", "栏目维护")
MEASURES = (
    "加强业务培训，提升工作人员的能力水平",
    "健全信息发布审核机制，严把信息质量关",
    "丰富政策解读形式，多用图解、音视频等方式",
    "及时更新网站各栏目内容，做到应公开尽公开",
    "强化督促检查，定期通报公开情况",
    "拓宽公开渠道，用好政务新媒体",
    "规范依申请公开办理流程，提高答复质量",
    "深化重点领域信息公开，回应群众关切",
    "做好历史信息清理，确保信息准确有效",
    "完善政务公开专区功能，方便群众查阅",
)
INTROS = (
    "{y}年，{we}政府信息公开工作虽然取得了一定成效，但对照上级要求，仍存在一些问题和不足",
    "与人民群众的期待相比，{we}的政务公开工作还有一定差距",
    "在肯定成绩的同时，我们也清醒地看到工作中存在的不足",
    "{we}政府信息公开工作还存在一些薄弱环节",
    "{y}年，{we}政务公开工作取得了新进展，但也存在一些问题",
    "对照《条例》和年度工作要点，{we}的工作还有不少短板",
)
MEASURE_LEADS = (
    "下一步，{we}将",
    "针对上述问题，{we}将",
    "{next}年，{we}将",
    "今后，{we}将",
    "下一年度，{we}要",
    "我们在今后的工作中，将",
)


@dataclass
class Section5:
    """Section 五's paragraphs and its labelled problems."""

    paragraphs: list[str]
    problems: list[str]
    variant: str


def _pick(rng: random.Random, bank: tuple[str, ...], k: int) -> list[str]:
    return rng.sample(list(bank), k)


def _measures_text(rng: random.Random, listed: bool) -> str:
    lead = rng.choice(MEASURE_LEADS)
    ms = _pick(rng, MEASURES, rng.randint(2, 4))
    if listed:
        return lead + "从以下几个方面加以改进：" + "；".join(f"{_ORD[i]}是{m}" for i, m in enumerate(ms)) + "。"
    return lead + "进一步" + "，".join(ms) + "，推动政务公开工作提质增效。"


_ORD = "一二三四五六七八九十"


def problems_p1(rng: random.Random, holdout: bool) -> Section5:
    """如X；Y；Z等。 (or with commas) after an introduction."""
    items = _pick(rng, PROBLEMS, rng.randint(2, 4))
    intro = rng.choice(INTROS)
    word = ["如", "例如", "主要是", "比如"][rng.randint(0, 1) + (2 if holdout else 0)]
    if rng.random() < 0.3:  # commas, as scraped reports often do, with short comma-free items
        items = _pick(rng, SHORT_PROBLEMS, rng.randint(3, 4))
        body = f"{intro}，{word}" + "，".join(items) + "等等，均有待今后加以解决。"
        variant = "commas"
    else:
        body = f"{intro}，{word}" + "；".join(items) + rng.choice(["等。", "等问题。", "。"])
        variant = "semicolons"
    return Section5([body, _measures_text(rng, rng.random() < 0.4)], items, variant)


def problems_p2(rng: random.Random, holdout: bool) -> Section5:
    """一是…；二是…；三是… after 主要表现在 / 体现在 / 具体为 / 表现为 / 问题和不足："""
    items = _pick(rng, PROBLEMS, rng.randint(2, 4))
    intro = rng.choice(INTROS)
    lead = (["，主要表现在：", "，具体为："] if not holdout else ["，主要体现在：", "，表现为："])[rng.randint(0, 1)]
    if rng.random() < 0.3:
        lead = "：" if not holdout else "，具体如下："
    sep = rng.choice(["；", "。"])
    body = intro + lead + sep.join(f"{_ORD[i]}是{p}" for i, p in enumerate(items)) + "。"
    measures = _measures_text(rng, rng.random() < 0.5)
    if rng.random() < 0.5:
        return Section5([body + measures], items, "one_paragraph")
    return Section5([body, measures], items, "two_paragraphs")


def problems_p3(rng: random.Random, holdout: bool) -> Section5:
    """（一）存在的主要问题 … sentences … （二）改进措施 …"""
    items = _pick(rng, PROBLEMS, rng.randint(2, 3))
    head1 = rng.choice(["（一）存在的主要问题", "（一）存在问题", "（一）主要问题"] if not holdout
                       else ["（一）存在的问题", "（一）工作中的不足"])
    head2 = rng.choice(["（二）改进措施", "（二）下一步工作打算"] if not holdout
                       else ["（二）改进情况", "（二）整改措施"])
    opener = rng.choice(["", "对照《条例》要求，{we}工作中还存在一些薄弱环节。"])
    problem_text = opener + "。".join(items) + "。"
    measures = _measures_text(rng, rng.random() < 0.5)
    inline = rng.random() < 0.35  # heading and text on one line: 存在问题：…
    if inline:
        return Section5([f"{head1}：{problem_text}", f"{head2}：{measures}"], items, "headed_inline")
    return Section5([head1, problem_text, head2, measures], items, "headed_blocks")


def problems_p4(rng: random.Random, holdout: bool) -> Section5:
    """Numbered lists 1. 2. / （1）（2） / 1、 under 存在问题： and 改进措施："""
    items = _pick(rng, PROBLEMS, rng.randint(2, 4))
    ms = _pick(rng, MEASURES, rng.randint(2, 3))
    style = rng.choice(["{n}.", "（{n}）"] if not holdout else ["{n}、", "（{n}）"])
    def num(i: int) -> str:
        return style.format(n=i + 1)
    if rng.random() < 0.5:
        paras = ["存在问题：", *[f"{num(i)}{p}。" for i, p in enumerate(items)],
                 rng.choice(["改进措施：", "改进情况：", "下一步打算："]), *[f"{num(i)}{m}。" for i, m in enumerate(ms)]]
        return Section5(paras, items, "numbered_lines")
    intro = rng.choice(INTROS)
    body = intro + "，主要有：" + "；".join(f"{num(i)}{p}" for i, p in enumerate(items)) + "。"
    return Section5([body, _measures_text(rng, False)], items, "numbered_inline")


def problems_p5(rng: random.Random, holdout: bool) -> Section5:
    """One plain paragraph: the problem is a sentence (or two) without enumerators."""
    kind = rng.choice(["aspects", "cause", "list_short"] if not holdout else ["aspects", "cause", "list_short", "sentence"])
    lead = rng.choice(MEASURE_LEADS)
    tail = lead + "进一步" + rng.choice(MEASURES) + "，确保把政府信息公开工作做得更好。"
    if kind == "aspects":
        a = rng.sample(list(ASPECTS), 2)
        problem = f"在{a[0]}、{a[1]}等方面仍有待提高"
        text = f"{{we}}{{y}}年政府信息公开各项工作进展顺利，但{problem}。" + tail
        return Section5([text], [problem], kind)
    if kind == "cause":
        problem = rng.choice(["信息公开不够及时", "政策解读不够深入", "栏目更新不够及时", "公开内容不够全面"])
        text = f"由于{rng.choice(['专职从事政府信息公开工作的人员较少', '人员调整较为频繁', '业务培训不够'])}，存在{problem}的问题。" + tail
        return Section5([text], [problem], kind)
    if kind == "list_short":
        items = rng.sample(list(SHORT_PROBLEMS), 2)
        text = f"{{we}}政府信息公开工作主要存在{items[0]}、{items[1]}等问题。" + tail
        return Section5([text], items, kind)
    problem = rng.choice(PROBLEMS)
    text = f"{rng.choice(INTROS)}。{problem}。" + tail
    return Section5([text], [problem], kind)


def problems_p6(rng: random.Random, holdout: bool) -> Section5:
    """No problems: a statement of none, maybe followed by measures listed 一是…"""
    none = rng.choice(["{y}年度，{we}政府信息公开工作未发现存在突出问题。", "无。", "本年度暂无存在的主要问题。"]
                      if not holdout else ["经自查，{we}本年度政府信息公开工作无明显问题。", "暂无。"])
    if none in ("无。", "暂无。"):
        return Section5([none], [], "none_bare")
    return Section5([none, _measures_text(rng, rng.random() < 0.6)], [], "none_with_measures")


def problems_p7(rng: random.Random, holdout: bool) -> Section5:
    """Problems as one sentence after a concession, then the measures as a 一是…二是… list."""
    problem = rng.choice(PROBLEMS)
    opening = rng.choice(["虽然{we}政府信息公开工作取得了一定成效，但", "{y}年，{we}的政务公开工作有了新进展，但"]
                         if not holdout else ["各项工作稳步推进的同时，"])
    ms = _pick(rng, MEASURES, rng.randint(3, 4))
    lead = rng.choice(["下一步，{we}将重点做好以下工作：", "为此，我们将采取以下措施：", "{next}年，{we}将着力做好以下几点："])
    measures = lead + "；".join(f"{_ORD[i]}是{m}" for i, m in enumerate(ms)) + "。"
    return Section5([f"{opening}{problem}。", measures], [problem], "concession_then_listed_measures")


PROBLEM_SHAPES = {"P1": problems_p1, "P2": problems_p2, "P3": problems_p3, "P4": problems_p4, "P5": problems_p5,
                  "P6": problems_p6, "P7": problems_p7}
SHAPE_NAMES = {"P1": "P1_inline_ru", "P2": "P2_yishi_after_intro", "P3": "P3_headed_blocks", "P4": "P4_numbered",
               "P5": "P5_plain_paragraph", "P6": "P6_no_problems", "P7": "P7_measures_listed"}
FACT_SHAPES = {"F1": "F1_platform_counts", "F2": "F2_cumulative_vs_year", "F3": "F3_own_vs_region",
               "F4": "F4_units", "F5": "F5_numerals_wan", "F6": "F6_platform_then_counts",
               "F7": "F7_other_things_counted"}
LAYOUTS = ("paragraph_lines", "section_one_line", "pdf_wrapped", "report_one_line", "pdf_wrapped")

# ---- building a case --------------------------------------------------------------------------------

_SLOT = re.compile(r"<([A-Z])\*?:(\w+):(\d+)-(\d+)>")
_SLOT_ANY = re.compile(r"<([A-Z])(\*?):(\w+):(\d+)-(\d+)>")


def fill(template: str, rng: random.Random, ctx: dict[str, str]) -> tuple[str, dict[str, Num]]:
    """The template's sentence with its numbers rendered, and each slot's number (with the words before it)."""
    nums: dict[str, Num] = {}
    text = template.format(**ctx)
    out, pos = [], 0
    for m in _SLOT_ANY.finditer(text):
        out.append(text[pos:m.start()])
        num = render(m.group(3), rng, int(m.group(4)), int(m.group(5)))
        num.before = "".join(out)[-6:]
        nums[m.group(1)] = num
        out.append(num.surface)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), nums


@dataclass
class Gold:
    """What a case's labels hold before its quotes are found in the laid-out text."""

    facts: dict[str, tuple[int, str, str, str]] = field(default_factory=dict)  # key -> value, qualifier, surface, before
    problems: list[str] = field(default_factory=list)


def fact_value(key: str, spec: Any, nums: dict[str, Num]) -> tuple[int, str, str, str]:
    """(value, qualifier, surface) of a labelled slot; ``B*`` marks a slot whose unit is 万 after 余/多."""
    slot, qualifier = (spec, None) if isinstance(spec, str) else spec
    times_wan = slot.endswith("*")
    num = nums[slot.rstrip("*")]
    value = num.value * (10_000 if times_wan else 1)
    return value, qualifier or num.qualifier, num.surface + ("万" if times_wan else ""), num.before


def section_one(rng: random.Random, agency: Agency, primary: str, holdout: bool,
                ctx: dict[str, str]) -> tuple[list[str], Gold]:
    """Section 一's paragraphs (sub-headed or not) and the facts they state."""
    gold = Gold()
    # A region-wide figure is the own figure of a government (or its office): those templates are for
    # departments, whose report must not take it (labelling: the agency's own figure).
    department = re.search(r"(?:省|市|州|盟|县|区|旗|镇|乡|街道)(?:人民政府|政府)?(?:办公室|办公厅)?$|办事处$",
                           agency.name) is None
    usable = [t for i, t in enumerate(FACTS) if (i % 3 == 2) == holdout and (department or "{region}" not in t.text)]
    primary_bank = [t for t in usable if t.shape == primary] or [
        t for t in FACTS if t.shape == primary and (department or "{region}" not in t.text)]
    chosen = rng.sample(primary_bank, min(2, len(primary_bank)))
    others = [t for t in usable if t.shape != primary]
    chosen += rng.sample(others, rng.randint(2, 4))
    sentences: list[tuple[str, str]] = []  # (sub-heading it belongs under, sentence)
    for t in chosen:
        if any(k in gold.facts for k in t.labels):  # one statement per key: the label is unambiguous
            continue
        text, nums = fill(t.text, rng, ctx)
        for key, spec in t.labels.items():
            gold.facts[key] = fact_value(key, spec, nums)
        sentences.append((_heading_of(t), text))
    if "requests_received" not in gold.facts and rng.random() < 0.5:
        sentences.append(("requests", rng.choice(ZERO_REQUESTS).format(**ctx)))
        gold.facts["requests_received"] = (0, "exact", "", "")
    fillers = [fill(f, rng, ctx)[0] for f in rng.sample(list(FILLER), 2)]
    rng.shuffle(sentences)
    paras = [fillers[0]]
    if rng.random() < 0.5:  # sub-headed (一)主动公开 … like most 2021-format reports: each count under its heading
        heads = {"active": "（一）主动公开", "requests": "（二）依申请公开", "platforms": "（三）政府信息公开平台建设",
                 "oversight": "（四）监督保障"}
        for n, (kind, head) in enumerate(heads.items()):
            body = "".join(text for k, text in sentences if k == kind) or (fillers[1] if n == 3 else "")
            if body:
                paras += [head, body]
    else:
        plain = [text for _, text in sentences]
        paras += ["".join(plain[:2]), "".join(plain[2:]) + fillers[1]]
    return [p for p in paras if p], gold


def _heading_of(t: FactTemplate) -> str:
    """The section-一 sub-heading a statement belongs under, by what it counts."""
    keys = set(t.labels)
    if keys & {"requests_received"}:
        return "requests"
    if keys & {"trainings", "petition_cases"} or "培训" in t.text:
        return "oversight"
    if keys & {"hotline_cases", "online_messages", "new_media_accounts"} or "热线" in t.text or "留言" in t.text:
        return "platforms"
    return "active"


def build_case(index: int, shape: str, rng: random.Random, holdout: bool) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(text, gold, manifest row) of one case."""
    agency = AGENCIES[rng.randrange(len(AGENCIES))]
    year = rng.randint(2019, 2025)
    fmt = "2019" if year < 2021 else "2021"
    ctx = {"we": agency.we, "site": agency.site, "superior": agency.superior, "region": agency.region,
           "wx": agency.wx, "wb": agency.wb, "y": str(year), "prev": str(year - 1), "next": str(year + 1)}
    primary = list(FACT_SHAPES)[index % len(FACT_SHAPES)]
    one, gold = section_one(rng, agency, primary, holdout, ctx)
    five = PROBLEM_SHAPES[shape](rng, holdout)
    five_paras = [p.format(**ctx) for p in five.paragraphs]
    problems = [p.format(**ctx) for p in five.problems]
    six_text, six_facts = SECTION_SIX[rng.randrange(len(SECTION_SIX))]
    for key, value in six_facts.items():
        gold.facts[key] = (value, "exact", "", "")
    title = f"{agency.name}{year}年政府信息公开工作年度报告"
    preface = (f"根据《中华人民共和国政府信息公开条例》规定，现公布{agency.name}{year}年政府信息公开工作年度报告。"
               f"本报告所列数据的统计期限为{year}年1月1日至{year}年12月31日。")
    sections = [
        ("一、总体情况", one),
        ("二、主动公开政府信息情况", []),
        ("三、收到和处理政府信息公开申请情况", []),
        ("四、政府信息公开行政复议、行政诉讼情况", []),
        ("五、存在的主要问题及改进情况", five_paras),
        ("六、其他需要报告的事项", [six_text.format(**ctx)]),
    ]
    layout = LAYOUTS[(index // len(FACT_SHAPES)) % len(LAYOUTS)]
    text = lay_out(title, preface, sections, layout, rng)
    facts = {}
    for key, (value, qualifier, surface, before) in gold.facts.items():
        facts[key] = {"value": value, "qualifier": qualifier, "quote": find_quote(text, key, surface, before)}
    for p in problems:
        assert _squash(p) in _squash(strip_furniture(text, title)), (p, text)
    notes = (f"Generated by eval/corpus/generate.py: problem shape {SHAPE_NAMES[shape]} ({five.variant}), "
             f"primary fact shape {FACT_SHAPES[primary]}, layout {layout}. Labels written with the templates; "
             "see manifest.json for the blind relabel.")
    gold_json = {"source": "", "scope": "narrative", "meta": {"agency": agency.name, "year": year,
                 "format_version": fmt}, "facts": facts, "problems": problems, "notes": notes}
    row = {"problem_shape": SHAPE_NAMES[shape], "problem_variant": five.variant,
           "fact_shape": FACT_SHAPES[primary], "layout": layout, "agency": agency.name, "level": agency.level,
           "province": agency.province, "year": year,
           "imitates": SOURCES[SHAPE_NAMES[shape]] + SOURCES[FACT_SHAPES[primary]] + SOURCES.get(f"L_{layout}", [])}
    return text, gold_json, row


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


_FURNITURE = re.compile(r"(?m)^[ \t]*(?:[-—－]{1,2}[ \t]*\d{1,3}[ \t]*[-—－]{1,2}|第[ \t]*\d{1,3}[ \t]*页|\d{1,3})[ \t]*$")


def strip_furniture(text: str, title: str) -> str:
    """The text without page numbers and running headers (how labels are checked against wrapped text)."""
    text = _FURNITURE.sub("", text)
    return re.sub(rf"(?m)^[ \t]*{re.escape(title)}[ \t]*$", "", text)


def _loose(word: str) -> str:
    """A pattern of ``word`` that a line break may interrupt anywhere."""
    return "\n?".join(map(re.escape, word))


def find_quote(text: str, key: str, surface: str, before: str) -> str:
    """A quote of the text on one line holding the number as written (or the statement of none)."""
    if not surface:
        loose = {"requests_received": _loose("未收到") + r"[^。]*?" + _loose("申请"),
                 "fees_collected": _loose("未收取") + "(?:" + _loose("信息处理费") + "|" + _loose("任何费用") + ")"}
        m = re.search(loose[key], text)
        assert m, (key, text)
        return m.group(0)
    for m in re.finditer(rf"(?<![\d.]){re.escape(surface)}(?![\d.])", text):
        at = m.start()
        line_before = text[text.rfind("\n", 0, at) + 1:at].lstrip("\u3000 ")
        tail = min(len(before), len(line_before))
        if tail and before[-tail:] == line_before[-tail:] or not tail and not line_before:
            return text[at - tail:m.end() + 1].rstrip("\n")
    raise AssertionError((surface, before, text))


# ---- layouts ---------------------------------------------------------------------------------------

_UNBREAKABLE = re.compile(r"[\d.,]+[万余多]*[条件篇期次个场人万]*|[零一二三四五六七八九十百]+[余]?[条件篇期次个场]")


def wrap(paragraph: str, width: int, indent: str) -> list[str]:
    """A paragraph wrapped at ``width`` characters as PDF text is, never inside a number with its unit."""
    keep = set()
    for m in _UNBREAKABLE.finditer(paragraph):
        keep.update(range(m.start() + 1, m.end()))
    lines, start, first = [], 0, True
    while start < len(paragraph):
        w = width - (len(indent) if first else 0)
        end = min(len(paragraph), start + w)
        # never inside a number with its unit, nor before punctuation (typesetting keeps it on the line)
        while end < len(paragraph) and (end in keep or paragraph[end] in "，。；：、）”"):
            end -= 1
        lines.append((indent if first else "") + paragraph[start:end])
        start, first = end, False
    return lines


def lay_out(title: str, preface: str, sections: list[tuple[str, list[str]]], layout: str, rng: random.Random) -> str:
    """The report's text in one of the layouts."""
    if layout == "paragraph_lines":
        blank = rng.random() < 0.5
        lines = [title, preface]
        for head, paras in sections:
            lines.append(head)
            lines.extend(paras)
        return ("\n\n" if blank else "\n").join(lines) + "\n"
    if layout == "section_one_line":
        lines = [title, preface]
        for head, paras in sections:
            lines.append(head)
            if paras:
                lines.append("".join(paras) if rng.random() < 0.5 else " ".join(paras))
        return "\n".join(lines) + "\n"
    if layout == "report_one_line":
        parts = [title, preface]
        for head, paras in sections:
            parts.append(head)
            parts.extend(paras)
        return "  ".join(parts) + "\n"
    # pdf_wrapped: lines of ~width characters, a page number and the running header every page
    width = rng.randint(28, 40)
    per_page = rng.randint(14, 24)
    page_mark = rng.choice(["— {p} —", "- {p} -", "第 {p} 页", "{p}"])
    header = rng.random() < 0.6
    body: list[str] = [title, "", *wrap(preface, width, "　　")]
    for head, paras in sections:
        body.append(head)
        for p in paras:
            is_heading = len(p) < 16 and not p.endswith("。")
            body.extend([p] if is_heading else wrap(p, width, "　　"))
    out, page = [], 1
    for i, line in enumerate(body):
        out.append(line)
        if i and i % per_page == 0:
            out += ["", page_mark.format(p=page), ""]
            page += 1
            if header:
                out.append(title)
    out += ["", page_mark.format(p=page)]
    return "\n".join(out) + "\n"


def main() -> None:
    """Write every case, its gold and the manifest's case rows (keeping the labelling record)."""
    manifest_path = HERE / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    for old in [*OUT.glob("dev-*"), *OUT.glob("ho-*")]:  # hand-written cases (hand-*) are kept
        old.unlink()
    rows = []
    for shape in PROBLEM_SHAPES:
        for i in range(PER_SHAPE):
            holdout = i % 3 == 2
            name = f"{'ho' if holdout else 'dev'}-{shape.lower()}-{i:02d}"
            rng = random.Random(f"{shape}-{i}")
            text, gold, row = build_case(i, shape, rng, holdout)
            gold["source"] = f"{name}.txt"
            (OUT / f"{name}.txt").write_text(text, encoding="utf-8")
            (OUT / f"{name}.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            rows.append({"name": name, "split": "holdout" if holdout else "dev", **row})
    manifest["sources"] = SOURCES
    manifest["cases"] = rows + [row for row in manifest.get("cases", []) if row["name"].startswith(("hand-", "hand2-", "hand3-", "hand4-"))]
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} cases to {OUT}")


if __name__ == "__main__":
    main()
