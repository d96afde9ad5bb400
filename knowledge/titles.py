"""English titles of the laws the bureau works with, for answers in English (keyed by short title, the
official title without 中华人民共和国). A law not listed is named in Chinese only."""

from __future__ import annotations

from knowledge.splitter import article_number, short_title

TITLES_EN: dict[str, str] = {
    "个人信息保护法": "Personal Information Protection Law",
    "优化营商环境条例": "Regulations on Optimizing the Business Environment",
    "保障农民工工资支付条例": "Regulations on Ensuring Payment of Wages to Migrant Workers",
    "信访工作条例": "Regulations on Letters and Visits (Petitions)",
    "劳动合同法": "Labour Contract Law",
    "噪声污染防治法": "Law on the Prevention and Control of Noise Pollution",
    "固体废物污染环境防治法": "Law on the Prevention and Control of Environmental Pollution by Solid Waste",
    "国有土地上房屋征收与补偿条例": "Regulations on the Expropriation of and Compensation for Buildings on State-owned Land",
    "城乡规划法": "Urban and Rural Planning Law",
    "城市市容和环境卫生管理条例": "Regulations on the Administration of City Appearance and Environmental Sanitation",
    "城市房地产管理法": "Urban Real Estate Administration Law",
    "大气污染防治法": "Law on the Prevention and Control of Atmospheric Pollution",
    "安全生产法": "Work Safety Law",
    "建筑法": "Construction Law",
    "建设工程勘察设计管理条例": "Regulations on the Administration of Survey and Design of Construction Projects",
    "建设工程安全生产管理条例": "Regulations on the Administration of Work Safety of Construction Projects",
    "建设工程抗震管理条例": "Regulations on the Administration of Earthquake Resistance of Construction Projects",
    "建设工程质量管理条例": "Regulations on the Quality Management of Construction Projects",
    "建设项目环境保护管理条例": "Regulations on the Administration of Environmental Protection of Construction Projects",
    "招标投标法": "Bidding Law",
    "招标投标法实施条例": "Regulations for the Implementation of the Bidding Law",
    "政府信息公开条例": "Regulations on the Disclosure of Government Information",
    "无障碍环境建设法": "Law on the Construction of a Barrier-free Environment",
    "民用建筑节能条例": "Regulations on Energy Conservation in Civil Buildings",
    "消防法": "Fire Protection Law",
    "物业管理条例": "Regulations on Property Management",
    "特种设备安全法": "Special Equipment Safety Law",
    "环境保护法": "Environmental Protection Law",
    "行政处罚法": "Administrative Penalty Law",
    "行政许可法": "Administrative Licensing Law",
    "县住房和城乡建设局办事指南": "County Housing and Construction Bureau Service Guide",
}


def english_title(law: str) -> str | None:
    """The English title of a law (full or short Chinese title), or None when it is not known."""
    short = short_title(law)
    title = TITLES_EN.get(short)
    if title and law.startswith("中华人民共和国"):
        return f"{title} of the People's Republic of China" if "条例" not in short else title
    return title


def english_citation(law: str, article: str) -> str:
    """`Article 43 of the Law on ... (《噪声污染防治法》第四十三条)`; the Chinese alone when no title is known."""
    chinese = f"《{short_title(law)}》{article}"
    title = english_title(law)
    if not title:
        return chinese
    number = article_number(article) if article else 0
    english = f"Article {number} of the {title}" if number else f"the {title}"
    return f"{english} ({chinese})"


# --- which loaded law a name refers to ---------------------------------------------------------------
_KINDS = ("实施条例", "实施细则", "条例", "办法", "规定", "细则", "指南", "法")
_GENERIC = ("管理", "工作")  # people drop these when they shorten a title (物业条例, 信访条例)


def _plain(title: str) -> str:
    """A title as people shorten it: without 中华人民共和国 and the generic words."""
    title = short_title(title)
    for word in _GENERIC:
        title = title.replace(word, "")
    return title


def _distinctive(name: str) -> str:
    """What a (plain) name says beyond its kind word: 办法 -> '', 文明施工办法 -> 文明施工."""
    for kind in _KINDS:
        if name.endswith(kind):
            return name[: -len(kind)]
    return name


def resolve_title(name: str, titles: dict[str, str], aliases: dict[str, str]) -> str | None:
    """The id of the loaded law `name` refers to (`titles`: full title -> id), or None.

    Exactly the title, the title without 中华人民共和国, a common alias (征收条例), or the tail of exactly
    one title once generic words are dropped from both (文明施工管理办法 and 文明施工办法 for
    示范县建筑工地文明施工管理办法, 抗震条例 for 建设工程抗震管理条例; 管理办法 alone names nothing). A
    name whose characters merely occur in order in a title (建筑法 in 示范县建筑工地文明施工管理办法,
    劳动法 in 劳动合同法) is not that law.
    """
    name = aliases.get(name, name).strip("《》 ")
    if name in titles:
        return titles[name]
    by_short = {short_title(title): doc_id for title, doc_id in titles.items()}
    if short_title(name) in by_short:
        return by_short[short_title(name)]
    plain = _plain(name)
    if len(_distinctive(plain)) < 2:
        return None
    tails = {doc_id for title, doc_id in titles.items() if _plain(title).endswith(plain)}
    return tails.pop() if len(tails) == 1 else None
