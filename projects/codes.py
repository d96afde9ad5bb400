"""统一社会信用代码 (GB 32100-2015) and its organisation-code part (组织机构代码, GB 11714-1997):
the check characters, as pure functions.

A credit code is 18 characters: the registering authority (1), the entity type (1), the
administrative division (6 digits), the 9-character organisation code (8 + its own check
character, GB 11714) and the code's check character. Characters come from 0-9 and A-Z without
I, O, Z, S, V (31 in all, valued 0-30 in that order); the check character makes the weighted sum
(weights 3^i mod 31) a multiple of 31. The organisation code's body takes 0-9 and A-Z (A = 10)
with weights 3 7 9 10 5 8 4 2 modulo 11, its check character 0-9 or X (10).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ValidationFailed

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_BODY_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Table 1 of GB 32100-2015: registering authorities and the entity types each may issue.
AUTHORITIES: dict[str, tuple[str, str]] = {
    "1": ("机构编制", "19"), "2": ("外交", "19"), "3": ("司法行政", "1234569"), "4": ("文化", "19"),
    "5": ("民政", "1239"), "6": ("旅游", "129"), "7": ("宗教", "129"), "8": ("工会", "19"),
    "9": ("工商", "123"), "A": ("中央军委改革和编制办公室", "19"), "N": ("农业", "1239"), "Y": ("其他", "1"),
}


def normalise(code: str) -> str:
    """What people type: spaces, dashes and lower case removed (full-width forms folded)."""
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKC", code).upper() if ch.isalnum())


def org_code_check(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation-code body."""
    if len(body) != 8 or any(ch not in ORG_BODY_CHARSET for ch in body):
        raise ValueError("an organisation code body is 8 characters of 0-9 and A-Z")
    total = sum(ORG_BODY_CHARSET.index(ch) * w for ch, w in zip(body, ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def is_org_code(code: str) -> bool:
    code = normalise(code)
    return len(code) == 9 and all(ch in ORG_BODY_CHARSET for ch in code[:8]) and org_code_check(code[:8]) == code[8]


def uscc_check(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    if len(first17) != 17 or any(ch not in USCC_CHARSET for ch in first17):
        raise ValueError("a credit code's first 17 characters come from 0-9 and A-Z without I O Z S V")
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


@dataclass(frozen=True)
class CodeProblem:
    code: str  # machine-readable reason
    zh: str
    en: str


def uscc_problem(code: str) -> CodeProblem | None:
    """Why `code` is not a valid credit code, or None when it is (already normalised)."""
    if len(code) != 18:
        return CodeProblem("uscc_length", f"统一社会信用代码应为 18 位，当前为 {len(code)} 位",
                           f"A unified social credit code has 18 characters, not {len(code)}")
    bad = sorted({ch for ch in code if ch not in USCC_CHARSET})
    if bad:
        return CodeProblem("uscc_characters", f"统一社会信用代码不能含有字符：{'、'.join(bad)}（不使用 I、O、Z、S、V）",
                           f"A unified social credit code cannot contain {', '.join(bad)} (I, O, Z, S, V are not used)")
    authority = AUTHORITIES.get(code[0])
    if authority is None or code[1] not in authority[1]:
        return CodeProblem("uscc_authority", f"第 1-2 位“{code[:2]}”不是有效的登记管理部门和机构类别代码",
                           f"Characters 1-2 '{code[:2]}' are not a registering authority and entity type")
    if not code[2:8].isdigit():
        return CodeProblem("uscc_division", "第 3-8 位应为行政区划代码（6 位数字）",
                           "Characters 3-8 must be the 6-digit administrative division code")
    if not is_org_code(code[8:17]):
        return CodeProblem("uscc_org_check", f"第 9-17 位组织机构代码“{code[8:16]}-{code[16]}”的校验码不正确",
                           f"The organisation code part {code[8:16]}-{code[16]} fails its check character")
    expected = uscc_check(code[:17])
    if code[17] != expected:
        return CodeProblem("uscc_check", "统一社会信用代码的校验码（第 18 位）不正确，请核对",
                           "The credit code's check character (the 18th) is wrong; please check the code")
    return None


def is_uscc(code: str) -> bool:
    return uscc_problem(normalise(code)) is None


def valid_uscc(code: str) -> str:
    """The normalised credit code, or ValidationFailed saying what is wrong with it."""
    value = normalise(code)
    problem = uscc_problem(value)
    if problem is not None:
        raise ValidationFailed(problem.zh, problem.en, code=problem.code, field="uscc")
    return value
