"""Write the hand-written corpus cases (eval/corpus/cases/hand-*): each imitates one real report's shape.

``python eval/corpus/hand.py``. Unlike generate.py's templates these are written one by one, each after one
report read through the search tool (the address is in ``IMITATES`` and the manifest); the wording is ours,
the structure, enumerators, distractors and figures are the report's. They were written and labelled after
the rules had been tuned on the dev cases and scored once before any further change (eval/corpus/README.md).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from generate import OUT, find_quote, lay_out  # type: ignore[import-not-found]

HERE = Path(__file__).resolve().parent
S2 = "二、主动公开政府信息情况"
S3 = "三、收到和处理政府信息公开申请情况"
S4 = "四、政府信息公开行政复议、行政诉讼情况"

# name: (agency, year, layout, imitates, section 一 paragraphs, section 五 paragraphs, section 六,
#        facts [(key, value, qualifier, surface, words before)], problems)
CASES: dict[str, tuple[Any, ...]] = {
    "hand-01": (
        "广州市从化区某经济开发区管理委员会", 2022, "paragraph_lines",
        "http://www.conghua.gov.cn/zwgk/zjgb/zfxxgkgzndbgbm/content/post_8765431.html",
        ["2022年，在区委区政府的领导下，我委认真贯彻执行《中华人民共和国政府信息公开条例》，及时准确地公开政府信息。",
         "（一）主动公开政府信息。2022年，我委在广州市、从化区的新闻报纸、网站和微信公众号发布信息230多篇。",
         "（二）依申请公开情况。2022年，我委收到政府信息公开申请0宗，无信息公开类行政复议及诉讼案件。",
         "（三）政府信息管理情况。我委定期进行信息发布及维护，及时查看并答复群众申请。",
         "（四）平台建设情况。依托政府信息公开网站，进一步规范信息发布，健全网站信息审核机制。"],
        ["2022年，我委政府信息公开工作取得了一定成效，但也存在一些问题和不足：一是对有关规章制度的学习培训还有待加强；"
         "二是信息公开意识不够强，公开的广度和深度不足。下一步，我委将深入学习贯彻《条例》，进一步加强业务培训，"
         "提高政府信息公开工作的制度化、规范化水平。"],
        "本年度未收取信息处理费。",
        [("requests_received", 0, "exact", "0", "开申请"), ("fees_collected", 0, "exact", "", "")],
        ["对有关规章制度的学习培训还有待加强", "信息公开意识不够强，公开的广度和深度不足"]),
    "hand-02": (
        "沈阳市浑南区住房和城乡建设局", 2022, "paragraph_lines",
        "http://www.hunnan.gov.cn/zwgk/zfxxgknb/2022/2022bmdnbg/202301/t20230118_4373320.html",
        ["（一）主动公开", "2022年度区住建局通过区政府门户网站政务公开专栏主动公开政府信息36条。",
         "（二）依申请公开", "2022年，区住建局共收到政府信息公开申请十二件，均已按期答复。",
         "（三）政府信息管理", "区住建局按照规定程序开展依申请公开工作，明确了依申请受理各环节的具体要求。",
         "（四）监督保障", "组织政务公开业务培训2次，定期检查已发布信息，确保公开工作顺利开展。"],
        ["2022年度信息公开工作与《条例》的要求相比，还存在一定的差距，对《条例》的学习宣传不够，教育培训不足，"
         "对信息公开工作认识不深的问题。",
         "下一步，我局将按照《条例》要求，进一步提高认识，加强培训，及时更新、扩大公开内容，确保公开信息的完整和准确。"],
        "2022年，区住建局未收取信息处理费。",
        [("website_posts", 36, "exact", "36", "公开政府信息"), ("requests_received", 12, "exact", "十二", "公开申请"),
         ("trainings", 2, "exact", "2", "业务培训"), ("fees_collected", 0, "exact", "", "")],
        ["对《条例》的学习宣传不够", "教育培训不足", "对信息公开工作认识不深"]),
    "hand-03": (
        "开平市卫生健康局", 2020, "report_one_line",
        "(开平市农业农村局 2020 report, pages corpus, traditional-script mirror)",
        ["2020年，我局通过市政府门户网站发布各类信息168条，其中政策解读9篇。本年度我局未收到政府信息公开申请。"],
        ["我局2020年政府信息公开各项工作总体顺利，但在信息公开的范围、时效性等方面仍有待提高。下一步我局将继续加强政府"
         "信息公开日常管理，强化信息更新的时效性，并加强业务培训，进一步提高效率和质量。"],
        "我局暂无其他需要报告的事项。",
        [("website_posts", 168, "exact", "168", "发布各类信息"), ("policy_interpretations", 9, "exact", "9", "政策解读"),
         ("requests_received", 0, "exact", "", "")],
        ["在信息公开的范围、时效性等方面仍有待提高"]),
    "hand-04": (
        "博尔塔拉蒙古自治州文化体育广播电视和旅游局", 2020, "section_one_line",
        "https://www.xjbl.gov.cn/info/1037/6799.htm",
        ["全年在州政府门户网站发布工作动态等信息214条，通过“博州文旅”微信公众号推送信息392条，微信关注人数8612人。",
         "政府网站在线访谈次数2次，回应事件数2次。"],
        ["政府信息公开工作开展以来，虽然取得了初步成效，但在具体推进过程中，还存在一些问题如宣传教育培训不足，"
         "具体工作人员业务不熟，缺乏信息专业技术人员，对社会宣传力度不够等等，均有待今后予以高度重视并加以解决。",
         "下一步，我局将按照上级有关要求，进一步提高认识，加强培训：一是规范工作流程，建立长效机制；二是创新公开途径，"
         "及时更新公开内容；三是强化管理，服务公众。"],
        "无。",
        [("website_posts", 214, "exact", "214", "动态等信息"), ("wechat_posts", 392, "exact", "392", "推送信息"),
         ("wechat_followers", 8612, "exact", "8612", "关注人数")],
        ["宣传教育培训不足", "具体工作人员业务不熟", "缺乏信息专业技术人员", "对社会宣传力度不够"]),
    "hand-05": (
        "哈尔滨住房公积金管理中心", 2020, "pdf_wrapped",
        "https://news.iaiso.net/87315360dfe5a318ab40c56c/6845471434842366322.html",
        ["（一）主动公开情况：2020年，中心网站发布各类信息635条，向上级报送工作动态信息79条。",
         "（二）回应关切情况：全年通过中心网站、微博办理群众诉求66件，市长信箱及市长公开电话转办35件，回复率达到100%。",
         "（三）平台建设：新媒体客服系统上线运行，截至12月末回复留言25条，在线解答219人次。",
         "（四）依申请公开：2020年度，中心未收到依申请公开件。"],
        ["（一）存在问题：一是能被上级部门采用的信息量偏少，信息公开内容的深度和广度不够；二是信息表现形式和制作素材不够"
         "新颖，宣传方面有待提高；三是信息公开载体有待完善。",
         "（二）进一步整改：一是提升信息化工作的理论水平和实践能力，不断提高办公自动化水平；二是深入调研，挖掘中心信息化"
         "工作的亮点并及时上报。"],
        "无。",
        [("website_posts", 635, "exact", "635", "发布各类信息"), ("online_messages", 25, "exact", "25", "回复留言"),
         ("requests_received", 0, "exact", "", "")],
        ["能被上级部门采用的信息量偏少，信息公开内容的深度和广度不够", "信息表现形式和制作素材不够新颖，宣传方面有待提高",
         "信息公开载体有待完善"]),
    "hand-06": (
        "修水县三都乡人民政府", 2021, "paragraph_lines",
        "http://www.cncdsbwlw.com/art/2022/1/12/art_1229327318_3947317.html",
        ["1.主动公开。2021年度我乡主动公开政府信息213条，其中政府网站公开127条，政务微信公开86条。",
         "2.依申请公开。2021年度，我乡未收到任何形式的政府信息公开申请。",
         "3.政府信息管理。严格执行“公开为原则，不公开为例外”，始终做好保密工作。",
         "4.平台建设。目前主要运营微信公众号“魅力三都”和微博号“三都发布”。"],
        ["存在问题：", "1.部分信息公开不够及时。", "2.政府信息公开目录还需进一步细化和完善。",
         "3.公开形式的便民性、多样性需要进一步提高。", "改进措施：",
         "1.加强学习教育，进一步提高乡干部对政务公开工作重要性的认识。", "2.对政务信息做到及时整理、分类和公开。"],
        "无。",
        [("website_posts", 127, "exact", "127", "政府网站公开"), ("wechat_posts", 86, "exact", "86", "政务微信公开"),
         ("requests_received", 0, "exact", "", "")],
        ["部分信息公开不够及时", "政府信息公开目录还需进一步细化和完善", "公开形式的便民性、多样性需要进一步提高"]),
    "hand-07": (
        "清水县人民政府", 2019, "section_one_line",
        "http://www.tsqs.gov.cn/info/1082/16404.htm",
        ["2019年，清水县政府信息公开工作紧紧围绕县委、县政府中心工作及群众关注关切，深化重点领域信息公开。",
         "（一）主动公开政府信息情况。2019年，通过政府门户网站、政务公开栏、广播电视、新媒体平台等形式主动公开政府信息8769条。"
         "其中，通过市政府网站公开信息2100条，通过县政府门户网站发布政府信息5469条，通过新闻媒体公开信息1600余条。"
         "2019年共受理各类服务事项144350件，办结率100%。截至2019年底，累计主动公开政府信息64627条。"],
        ["2019年，我县政府信息公开工作虽然取得了一定成效，但与群众的期待相比还有差距，主要表现在：一是部分部门对政府信息公开"
         "工作重视程度不够；二是政策解读的质量和形式有待提升；三是政务新媒体建设相对滞后。2020年，我县将着力抓好以下工作："
         "一是加强组织领导；二是提升解读质量；三是加强新媒体建设。"],
        "无。",
        [("website_posts", 5469, "exact", "5469", "发布政府信息")],
        ["部分部门对政府信息公开工作重视程度不够", "政策解读的质量和形式有待提升", "政务新媒体建设相对滞后"]),
    "hand-08": (
        "宝鸡市渭滨区人民政府办公室", 2024, "paragraph_lines",
        "http://www.weibin.gov.cn/col15477/col15481/col18833_1/col18835/202501/t20250121_1113023.html",
        ["（一）主动公开。2024年，我办以区政府门户网站为核心平台、以“渭滨发布”微信公众号为特色载体，全年累计公开发布行业领域"
         "政府信息2510余条、动态类政务信息1520余条，制发政策解读12件，办理网民留言175条，开展征集调查活动24次。主办的“渭滨"
         "发布”微信公众号充分发挥新媒体传播优势，实时发布政策文件等信息2000余条，粉丝量突破6.1万人。",
         "（二）依申请公开。2024年度，区政府办新收到自然人提交的信息公开申请4件，其中3件依法答复公开，1件属于不掌握相关信息。",
         "（三）政府信息管理。在区政府门户网站开设政策文件专栏，全年公开以区政府、区政府办名义下发的文件23件。"],
        ["2024年，我办政府信息公开工作取得了一定成效，但仍存在一些不足：一是政策解读的形式还不够丰富，图解、视频解读运用较少；"
         "二是部分栏目更新维护不够及时；三是基层政务公开标准化建设有待进一步深化。",
         "2025年，我办将聚焦上述问题，重点做好以下工作：一是丰富解读形式；二是加强栏目维护；三是深化基层政务公开。"],
        "无。",
        [("policy_interpretations", 12, "exact", "12", "政策解读"), ("online_messages", 175, "exact", "175", "网民留言"),
         ("wechat_posts", 2000, "more_than", "2000余", "等信息"), ("wechat_followers", 61000, "more_than", "6.1万", "量突破"),
         ("requests_received", 4, "exact", "4", "公开申请"), ("documents_disclosed", 23, "exact", "23", "的文件")],
        ["政策解读的形式还不够丰富，图解、视频解读运用较少", "部分栏目更新维护不够及时", "基层政务公开标准化建设有待进一步深化"]),
    "hand-09": (
        "盐城市大丰区人民政府", 2024, "paragraph_lines",
        "https://www.dafeng.gov.cn/art/2025/1/22/art_45469_4279894.html",
        ["（一）主动公开方面。2024年，通过政府门户网站和政务新媒体等形式主动公开政府信息1.17万条。通过区政府门户网站公开信息"
         "3820条，发布解读信息17条；开展意见征集25个，互动访谈12期。“幸福大丰”政务微博有粉丝160多万，全年发布2200条微博。",
         "（二）依申请公开方面。全年共办理政府信息公开申请69件，含2023年结转至今年办理的3件，按期答复率100%。"],
        ["对照新要求，我区政务公开工作还存在一些短板：（1）政策解读的针对性不强；（2）基层政务公开专区的作用发挥不充分；"
         "（3）依申请公开办理质效有待提升。下一步，我区将强化解读、用好专区、规范办理，推动政务公开提质增效。"],
        "无。",
        [("website_posts", 3820, "exact", "3820", "公开信息"), ("policy_interpretations", 17, "exact", "17", "解读信息"),
         ("weibo_followers", 1600000, "more_than", "160多万", "有粉丝"), ("weibo_posts", 2200, "exact", "2200", "年发布")],
        ["政策解读的针对性不强", "基层政务公开专区的作用发挥不充分", "依申请公开办理质效有待提升"]),
    "hand-10": (
        "喀左县人民政府", 2025, "paragraph_lines",
        "https://www.kazuo.gov.cn/html/KZXZF/202601/0176869810066763.html",
        ["一是主动公开情况。", "2025年，县政府网站共发布信息3000余条，“中国喀左”微信公众号发布信息750余条。按时完成2024年度"
         "县政府及31个部门政府信息公开工作年度报告发布，公开2025年度部门预算68条、2024年度部门决算118条。",
         "组织召开县政府新闻发布会9期，聚焦重点领域开展政策解读和工作成果通报。", "二是依申请公开情况。",
         "2025年，县政府办公室收到依申请公开9件，均在规定时限内办结答复；收到1件行政复议、1件行政诉讼。"],
        ["（一）存在的主要问题", "一些乡镇和部门对政务公开工作的重视程度不够，公开内容不够全面。政策解读的形式比较单一，解读的深度"
         "有待加强。", "（二）改进措施", "2026年，我县将进一步加强对乡镇和部门的业务指导，丰富解读形式，提升公开质量。"],
        "无。",
        [("website_posts", 3000, "more_than", "3000余", "发布信息"), ("wechat_posts", 750, "more_than", "750余", "发布信息"),
         ("press_conferences", 9, "exact", "9", "发布会"), ("requests_received", 9, "exact", "9", "申请公开")],
        ["一些乡镇和部门对政务公开工作的重视程度不够，公开内容不够全面", "政策解读的形式比较单一，解读的深度有待加强"]),
    "hand-11": (
        "无锡市锡山区厚桥街道办事处", 2023, "pdf_wrapped",
        "http://www.jsxishan.gov.cn/doc/2024/01/08/4153378.shtml",
        ["（一）主动公开情况。2023年，厚桥街道积极推进政府信息主动公开，全年主动公开信息42条，其中工作动态信息28条，"
         "通知公告7条。",
         "（二）依申请公开情况。认真落实《条例》的规范要求，2023年度厚桥街道收到政府信息公开申请一件，已办理完毕。"],
        ["厚桥街道2023年政府信息公开工作存在的主要问题：一是信息公开的主动性还不够强。二是公开内容与群众需求的契合度有待提高。",
         "改进情况：一是增强主动公开意识，做到应公开尽公开；二是围绕群众关切，丰富公开内容。"],
        "无。",
        [("requests_received", 1, "exact", "一", "公开申请")],
        ["信息公开的主动性还不够强", "公开内容与群众需求的契合度有待提高"]),
    "hand-12": (
        "杨凌示范区审计局", 2022, "paragraph_lines",
        "https://yangling.gov.cn/zwgk/gknb/bmnb/1619593655548706818.html",
        ["（一）主动公开政府信息情况", "2022年，我局通过示范区管委会网站审计信息栏目公开信息20条。",
         "（二）依申请公开情况", "2022年，未收到依申请公开事项。",
         "（三）监督保障情况", "一是把政务公开纳入年度内部目标考核；二是统一安排部署检查工作，确保任务、责任到人。"],
        ["我局政府信息公开工作虽取得了一定成效，但仍存在以下不足：一是公开的内容还不够丰富；二是信息更新的频率偏低。"
         "下一步，我局将加强学习，丰富公开内容，及时更新信息。"],
        "无。",
        [("website_posts", 20, "exact", "20", "公开信息"), ("requests_received", 0, "exact", "", "")],
        ["公开的内容还不够丰富", "信息更新的频率偏低"]),
    "hand-13": (
        "杭州市滨江区审计局", 2024, "section_one_line",
        "http://www.hhtz.gov.cn/art/2025/1/15/art_1229230631_4327083.html",
        ["（一）主动公开 2024年，我局全年通过政府门户网站、政务新媒体等渠道累计公开信息44条。通过滨江区政府信息公开门户网站"
         "公开34条，其中组织机构信息11条，审计信息11条。",
         "（二）依申请公开 2024年，我局收到1件政府信息公开申请，结转至下一年度办理。",
         "（五）监督保障 一是加强组织保障，明确政务公开工作职责；二是加强考核监督。"],
        ["经自查，2024年我局政府信息公开工作未发现明显问题。2025年，我局将继续做好以下工作：一是加强信息发布审核；"
         "二是及时清理过期信息。"],
        "本年度未收取信息处理费。",
        [("website_posts", 34, "exact", "34", "网站公开"), ("requests_received", 1, "exact", "1", "我局收到"),
         ("fees_collected", 0, "exact", "", "")],
        []),
    "hand-14": (
        "山东省交通运输厅", 2019, "pdf_wrapped",
        "https://jtt.shandong.gov.cn/jtt2020ndbg/files/basic-html/page2.html",
        ["（一）围绕机制保障强化公开。全年通过厅门户网站发布各类信息3461条，其中政策解读38篇。组织全省交通运输系统政务公开"
         "培训4期，培训人员600余人次。",
         "（二）围绕互动交流扩大公开。“山东交通”政务微博全年发布信息2130条，粉丝总数达85.6万。"],
        ["（一）存在的主要问题", "1.政策解读的精准性和可读性还需加强。", "2.部分市县交通运输部门公开标准不统一。",
         "（二）改进措施", "1.推动解读材料与政策文件同步起草、同步发布。", "2.加强对市县的业务指导，统一公开标准。"],
        "无。",
        [("website_posts", 3461, "exact", "3461", "各类信息"), ("policy_interpretations", 38, "exact", "38", "政策解读"),
         ("trainings", 4, "exact", "4", "培训"), ("weibo_posts", 2130, "exact", "2130", "发布信息"),
         ("weibo_followers", 856000, "exact", "85.6万", "总数达")],
        ["政策解读的精准性和可读性还需加强", "部分市县交通运输部门公开标准不统一"]),
}


def main() -> None:
    """Write every hand case with its label, and its rows in the manifest."""
    manifest_path = HERE / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    rows = [row for row in manifest.get("cases", []) if not row["name"].startswith("hand-")]
    for name, (agency, year, layout, imitates, one, five, six, facts, problems) in CASES.items():
        rng = random.Random(name)
        title = f"{agency}{year}年政府信息公开工作年度报告"
        preface = f"根据《中华人民共和国政府信息公开条例》规定，编制本报告。本报告所列数据的统计期限为{year}年1月1日至12月31日。"
        sections = [("一、总体情况", one), (S2, []), (S3, []), (S4, []), ("五、存在的主要问题及改进情况", five),
                    ("六、其他需要报告的事项", [six])]
        text = lay_out(title, preface, sections, layout, rng)
        gold_facts = {key: {"value": value, "qualifier": qualifier, "quote": find_quote(text, key, surface, before)}
                      for key, value, qualifier, surface, before in facts}
        gold = {"source": f"{name}.txt", "scope": "narrative",
                "meta": {"agency": agency, "year": year, "format_version": "2019" if year < 2021 else "2021"},
                "facts": gold_facts, "problems": problems,
                "notes": f"Hand-written by eval/corpus/hand.py after {imitates}; layout {layout}; labelled by hand."}
        (OUT / f"{name}.txt").write_text(text, encoding="utf-8")
        (OUT / f"{name}.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        rows.append({"name": name, "split": "hand", "problem_shape": "hand", "fact_shape": "hand", "layout": layout,
                     "agency": agency, "year": year, "imitates": [imitates]})
    manifest["cases"] = rows
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} hand cases")


if __name__ == "__main__":
    main()
