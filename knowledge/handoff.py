"""Hand-off from a question to a report: does the question describe a reportable problem at a site, and
of which category?

Two scores, both from descriptions rather than from particular questions:
- the category score: the words describing each report category (its profile, in Chinese and English)
  found in the question, plus a prior when the retrieved articles come from the laws that govern that
  kind of problem;
- the situation score: signs that something is happening now at a place (这个工地, 隔壁, 每天, 还在,
  next door) and that the asker suffers it or wants it stopped (太吵, 睡不着, 找谁, 投诉), minus signs of a
  procedural question (办理, 需要多长时间, 申请材料, 我们公司, how long, apply).
A suggestion is made when both pass their thresholds; the code must be an active report category.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.splitter import short_title


@dataclass(frozen=True)
class Profile:
    words: tuple[str, ...]  # what people say about this kind of problem
    laws: tuple[str, ...]  # short titles of the laws that govern it


def _words(text: str) -> tuple[str, ...]:
    """Space-separated entries; `_` joins the words of a phrase (`next_door` is "next door", so that
    "construction" alone does not stand for "illegal construction")."""
    return tuple(word.replace("_", " ") for word in text.split())


PROFILES: dict[str, Profile] = {
    "night_noise": Profile(
        _words("噪声 噪音 太吵 很吵 吵 扰民 睡不着 夜间施工 晚上施工 半夜 深夜 凌晨 打桩 轰鸣 机器声 电钻 "
               "noise noisy loud night midnight piling pile_driving"),
        ("噪声污染防治法",),
    ),
    "dust": Profile(
        _words("扬尘 灰尘 粉尘 尘土 漫天 灰大 土大 黄土 裸露 不覆盖 没盖 洒水 dust dusty"),
        ("大气污染防治法",),
    ),
    "unpaid_wages": Profile(
        _words("拖欠 欠薪 讨薪 欠工资 工资 工钱 血汗钱 不给钱 没发 不发 不结 包工头 农民工 "
               "wage wages salary unpaid owed"),
        ("保障农民工工资支付条例", "劳动合同法"),
    ),
    "safety_hazard": Profile(
        _words("安全隐患 隐患 危险 坍塌 倒塌 塌方 脚手架 安全帽 护栏 防护网 安全网 高空 坠落 掉下来 塔吊 "
               "吊车 基坑 漏电 电线 明火 hazard unsafe dangerous collapse scaffolding crane helmet"),
        ("建设工程安全生产管理条例", "安全生产法", "特种设备安全法", "消防法"),
    ),
    "unpermitted": Profile(
        _words("无证施工 没有施工许可证 没有许可证 没办许可证 没有手续 无证 违建 违法建设 违章建筑 私搭乱建 "
               "乱搭 乱建 加盖 加层 未批先建 permit illegal_construction unlicensed"),
        ("城乡规划法",),
    ),
    "quality": Profile(
        _words("质量问题 质量差 裂缝 开裂 裂了 渗水 漏水 偷工减料 不合格 空鼓 沉降 倾斜 crack cracks leaking "
               "shoddy"),
        ("建设工程质量管理条例",),
    ),
    "waste": Profile(
        _words("渣土 渣土车 建筑垃圾 乱倒 倾倒 偷倒 遗撒 撒漏 撒落 洒落 弃土 dumping dumped spoil debris rubble"),
        ("固体废物污染环境防治法", "城市市容和环境卫生管理条例"),
    ),
}

# something is happening now, at a place, to the asker
_SITUATION = _words(
    "工地 这个工地 隔壁 旁边 附近 对面 楼下 楼上 我家 我们家 小区 门口 村里 我们村 天天 每天 一直 还在 正在 "
    "现在 好几天 几个月 老板 包工头 有人 偷偷 next_door nearby neighbour my_home every_night still site"
)
# the asker suffers it or wants it stopped
_GRIEVANCE = _words(
    "太吵 受不了 睡不着 怎么办 投诉 举报 反映 找谁 去哪 哪里 管不管 没人管 有人管 不给 拖欠 不发 乱倒 危险 "
    "吓人 担心 complain report who where stop can't_sleep refuses"
)
# a procedural or company question: how to apply, how long, what is required
_PROCEDURE = _words(
    "办理 申请 需要多长时间 多长时间 多久 流程 材料 手续 条件 资质 审批 备案 招标 投标 中标 合同约定 "
    "我们公司 我公司 企业 建设单位 施工单位 承包 是否需要 要不要办 怎样申请 如何申请 标准是多少 登记 账户 "
    "怎么规定 是什么意思 规定是什么 法律上 "
    "how_long apply application requirements procedure documents company licence qualification"
)
CATEGORY_THRESHOLD = 1.0
SITUATION_THRESHOLD = 1.0
LAW_PRIOR = 0.6


@dataclass(frozen=True)
class Suggestion:
    category: str
    score: float
    situation: float


def _count(words: Iterable[str], text: str) -> float:
    """Distinct words of `words` in `text`; a word inside a longer matched word counts once."""
    found: list[str] = []
    for word in sorted(words, key=len, reverse=True):
        if _contains(text, word) and not any(word in longer for longer in found):
            found.append(word)
    return float(len(found))


def _contains(text: str, word: str) -> bool:
    if word.isascii():
        return re.search(rf"\b{re.escape(word)}", text) is not None
    return word in text


def category_scores(question: str, laws: Sequence[str]) -> dict[str, float]:
    text = question.lower()
    retrieved = {short_title(law) for law in laws}
    scores = {}
    for code, profile in PROFILES.items():
        score = _count(profile.words, text)
        if score and retrieved & set(profile.laws):
            score += LAW_PRIOR
        scores[code] = score
    return scores


def situation_score(question: str) -> float:
    text = question.lower()
    return _count(_SITUATION, text) + _count(_GRIEVANCE, text) - 1.5 * _count(_PROCEDURE, text)


def suggest(question: str, laws: Sequence[str], active: Iterable[str] | None = None) -> Suggestion | None:
    """The report category for a question describing a reportable problem, or None.

    `laws`: titles of the retrieved articles, best first (the top three count); `active`: the report
    categories that exist (None: every profiled one).
    """
    allowed = set(PROFILES) if active is None else set(active) & set(PROFILES)
    scores = {code: s for code, s in category_scores(question, laws[:3]).items() if code in allowed}
    if not scores:
        return None
    code, score = max(scores.items(), key=lambda item: item[1])
    situation = situation_score(question) + min(score, 2.0) * 0.25  # naming the problem is a weak sign
    if score < CATEGORY_THRESHOLD or situation < SITUATION_THRESHOLD:
        return None
    return Suggestion(code, round(score, 3), round(situation, 3))
