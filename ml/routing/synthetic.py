"""Small bilingual (zh/en) synthetic support tickets for tests and the latency benchmark.

Not the platform simulator: a self-contained generator with deliberately imperfect signal –
shared filler text, tickets that mention a second queue's vocabulary, and a little label noise –
so a router cannot reach 100 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PHRASES = {
    "billing": {
        "en": ["I was charged twice this month", "my invoice amount is wrong", "refund the duplicate payment",
               "why did my subscription fee go up", "the card payment failed but money was taken",
               "please send a VAT invoice", "billing cycle date is incorrect"],
        "zh": ["这个月被重复扣费了", "发票金额不对", "请退还重复支付的款项", "为什么订阅费用涨价了",
               "银行卡支付失败但是扣款了", "请开具增值税发票", "账单日期不正确"],
    },
    "technical": {
        "en": ["the app crashes when I open it", "error 500 on the dashboard", "sync is not working",
               "the page keeps loading forever", "login button does nothing after the update",
               "data export produces an empty file", "notifications stopped working"],
        "zh": ["打开应用就闪退", "仪表盘报错500", "数据同步不工作", "页面一直在加载", "更新后登录按钮没反应",
               "导出的数据文件是空的", "收不到推送通知了"],
    },
    "shipping": {
        "en": ["where is my package", "the delivery is late by a week", "tracking number shows no updates",
               "courier left the parcel at the wrong address", "can I change the delivery address",
               "the shipment is stuck in customs", "package arrived damaged in transit"],
        "zh": ["我的包裹在哪里", "快递晚了一个星期", "物流单号没有更新", "快递员送错地址了", "可以修改收货地址吗",
               "货物卡在海关了", "包裹运输途中损坏"],
    },
    "account": {
        "en": ["I cannot reset my password", "please delete my account", "change the email on my profile",
               "my account was locked", "two factor code never arrives", "merge my two accounts",
               "update the phone number of my account"],
        "zh": ["无法重置密码", "请注销我的账号", "修改个人资料里的邮箱", "我的账号被锁定了", "收不到两步验证码",
               "合并我的两个账号", "更新账号绑定的手机号"],
    },
    "returns": {
        "en": ["I want to return this item", "how do I get a return label", "exchange for a different size",
               "return window already closed?", "the returned item was not received yet",
               "send me a replacement instead", "the product does not fit, want to send it back"],
        "zh": ["我想退货", "怎么获取退货标签", "想换一个尺码", "退货期限已经过了吗", "退回的商品还没收到",
               "请给我换一个新的", "商品不合适想退回"],
    },
    "product": {
        "en": ["does this model support bluetooth", "what is the battery life", "is the material waterproof",
               "which size should I choose", "is there a newer version coming", "how to use the timer feature",
               "what colors are available"],
        "zh": ["这个型号支持蓝牙吗", "电池续航多久", "材质防水吗", "我应该选哪个尺寸", "会出新版本吗",
               "定时功能怎么用", "有哪些颜色可选"],
    },
}
FILLER = {
    "en": ["Hello,", "Hi team,", "Please help.", "Thanks in advance.", "This is urgent.", "Order 12345.",
           "I have been a customer for years.", "Regards"],
    "zh": ["您好，", "你好，", "麻烦帮忙处理一下。", "谢谢！", "比较着急。", "订单号12345。", "我是老用户了。", "辛苦了"],
}
SUBJECT_PREFIX = {"en": ["Question", "Problem", "Help needed", "Issue", "Request"],
                  "zh": ["咨询", "问题", "求助", "反馈", "申请"]}


def synthetic_tickets(n: int = 600, seed: int = 0, start: str = "2026-01-01", days: int = 180,
                      mixed_share: float = 0.15, label_noise: float = 0.02) -> pd.DataFrame:
    """Tickets with columns ticket_id, opened_at, language, subject, body, queue."""
    rng = np.random.default_rng(seed)
    queues = list(PHRASES)
    rows = []
    opened = pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.uniform(0, days * 86400, n)), unit="s")
    for i in range(n):
        queue = queues[rng.integers(len(queues))]
        language = "zh" if rng.random() < 0.5 else "en"
        phrases = PHRASES[queue][language]
        main = phrases[rng.integers(len(phrases))]
        parts = [FILLER[language][rng.integers(len(FILLER[language]))], main]
        if rng.random() < 0.5:
            parts.append(phrases[rng.integers(len(phrases))])
        if rng.random() < mixed_share:  # mentions another queue's vocabulary too
            other = queues[rng.integers(len(queues))]
            other_phrases = PHRASES[other][language]
            parts.append(other_phrases[rng.integers(len(other_phrases))])
        parts.append(FILLER[language][rng.integers(len(FILLER[language]))])
        rng.shuffle(parts)
        subject_words = main.split()[:4] if language == "en" else [main[:6]]
        subject = f"{SUBJECT_PREFIX[language][rng.integers(5)]}: {' '.join(subject_words)}"
        label = queues[rng.integers(len(queues))] if rng.random() < label_noise else queue
        joiner = " " if language == "en" else ""
        rows.append({"ticket_id": i + 1, "opened_at": opened[i], "language": language, "subject": subject,
                     "body": joiner.join(parts), "queue": label})
    return pd.DataFrame(rows)
