"""Deterministic Chinese personal names for synthetic staff and women: a surname and given-name
characters drawn from lists, not taken from any real person."""

import random

# Common surnames, weighted towards those frequent in Guangxi (韦, 覃, 莫, 蒙, 黎, 陆, 农).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢钟谭汪范金廖贾夏付方白邹孟熊秦邱江薛段雷侯龙史陶贺顾毛龚邵严武戴孔汤"
    "韦韦韦覃覃覃莫莫蒙蒙黎黎陆陆农农"
)
GIVEN = (
    "丽静敏燕艳娟霞芳婷玲红梅琳雪慧洁颖萍华英明伟军强磊洋勇杰涛斌"
    "峰平建志文海宁晓春秋兰桂秀玉凤欣怡佳思雨婉嘉瑶璐蕾"
)
# Given-name characters common for women (the synthetic cohort of ``--pregnancies``).
FEMALE_GIVEN = (
    "丽静敏燕艳娟霞芳婷玲红梅琳雪慧洁颖萍华英兰桂秀玉凤欣怡佳思雨婉嘉瑶璐蕾"
    "晶莉娜倩媛月春丹妮蓉菲悦琴琪萱璇岚露晴彤茜薇"
)


def chinese_name(rng: random.Random) -> str:
    """Surname plus a one- or two-character given name (about two in three have two)."""
    given_length = 1 if rng.random() < 0.35 else 2
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(given_length))
