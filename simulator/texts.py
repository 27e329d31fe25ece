"""Vocabularies and text templates: names, places, products, support tickets, feedback, NPS comments.

Ticket wording depends on the queue (the routing label) and the finer category; a few ambiguous
templates mix queues on purpose so a router cannot reach 100%.
"""

from __future__ import annotations

# --- people and places ----------------------------------------------------------------------------

SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("高", "gao"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
]
GIVEN = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("婷", "ting"), ("浩", "hao"), ("宇", "yu"),
    ("欣", "xin"), ("佳", "jia"), ("子", "zi"), ("轩", "xuan"), ("晨", "chen"), ("博", "bo"),
]
EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com", "foxmail.com"]
PHONE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152",
                  "158", "159", "166", "176", "177", "180", "181", "186", "187", "188", "189", "199"]

# (city, region, relative population weight)
CITIES = [
    ("Shanghai", "East", 10), ("Hangzhou", "East", 6), ("Nanjing", "East", 5), ("Suzhou", "East", 5),
    ("Hefei", "East", 3), ("Beijing", "North", 9), ("Tianjin", "North", 4), ("Jinan", "North", 3),
    ("Shijiazhuang", "North", 2), ("Guangzhou", "South", 8), ("Shenzhen", "South", 8),
    ("Xiamen", "South", 3), ("Wuhan", "Central", 5), ("Changsha", "Central", 4),
    ("Zhengzhou", "Central", 4), ("Chengdu", "Southwest", 6), ("Chongqing", "Southwest", 5),
    ("Kunming", "Southwest", 2), ("Xi'an", "Northwest", 4), ("Lanzhou", "Northwest", 1),
    ("Shenyang", "Northeast", 3), ("Harbin", "Northeast", 2), ("Dalian", "Northeast", 2),
]
REGIONS = ["East", "North", "South", "Central", "Southwest", "Northwest", "Northeast"]

# warehouse code, name, city, region, regions it serves first
WAREHOUSES = [
    ("WH-SH", "Shanghai Jiading DC", "Shanghai", "East", ["East"]),
    ("WH-BJ", "Beijing Daxing DC", "Beijing", "North", ["North", "Northeast"]),
    ("WH-GZ", "Guangzhou Huangpu DC", "Guangzhou", "South", ["South"]),
    ("WH-WH", "Wuhan Dongxihu DC", "Wuhan", "Central", ["Central"]),
    ("WH-CD", "Chengdu Shuangliu DC", "Chengdu", "Southwest", ["Southwest"]),
    ("WH-XA", "Xi'an Lintong DC", "Xi'an", "Northwest", ["Northwest"]),
]

# --- catalogue ------------------------------------------------------------------------------------
# category -> brand names, product nouns, price range in yuan, quantity mean-1, festival exponents
CATEGORIES = {
    "electronics": dict(
        brands=["星河", "极光", "云米", "锐科"], price=(99, 2999), extra_qty=0.25,
        festival=1.25, spring=1.0,
        nouns=["智能手机", "手机壳", "蓝牙耳机", "智能手表", "充电宝", "平板电脑", "机械键盘", "无线鼠标",
               "数据线", "智能音箱"]),
    "apparel": dict(
        brands=["素衣", "棉语", "北纬", "简町"], price=(49, 799), extra_qty=0.5,
        festival=1.3, spring=1.0,
        nouns=["运动鞋", "羽绒服", "卫衣", "牛仔裤", "衬衫", "针织衫", "连衣裙", "棉袜", "围巾", "T恤"]),
    "beauty": dict(
        brands=["花颜", "水润", "初研", "青黛"], price=(39, 599), extra_qty=0.6,
        festival=1.2, spring=0.9,
        nouns=["洁面乳", "爽肤水", "面霜", "精华液", "防晒霜", "口红", "面膜", "眼霜", "身体乳", "卸妆油"]),
    "home": dict(
        brands=["居然", "木棉", "家悦", "栖屋"], price=(29, 1299), extra_qty=0.5,
        festival=1.0, spring=1.0,
        nouns=["咖啡机", "四件套", "收纳箱", "保温杯", "空气炸锅", "台灯", "抱枕", "电热水壶", "拖把", "香薰"]),
    "food": dict(
        brands=["三只熊", "良品记", "禾田", "山野集"], price=(9, 199), extra_qty=1.4,
        festival=0.8, spring=0.8,
        nouns=["咖啡豆", "坚果礼盒", "茶叶", "牛奶", "零食大礼包", "大米", "蜂蜜", "挂面", "果干", "橄榄油"]),
    "sports": dict(
        brands=["跃动", "野径", "飞羽", "山岳"], price=(29, 1599), extra_qty=0.4,
        festival=1.1, spring=1.0,
        nouns=["瑜伽垫", "瑜伽砖", "跑步机", "哑铃", "羽毛球拍", "登山包", "运动水壶", "护膝", "跳绳", "帐篷"]),
}
# Planted market-basket pairs: buying the first product adds the second with `probability`.
BASKET_PAIRS = [
    (("electronics", "智能手机"), ("electronics", "手机壳"), 0.45),
    (("home", "咖啡机"), ("food", "咖啡豆"), 0.40),
    (("sports", "瑜伽垫"), ("sports", "瑜伽砖"), 0.35),
    (("beauty", "洁面乳"), ("beauty", "爽肤水"), 0.30),
    (("apparel", "运动鞋"), ("apparel", "棉袜"), 0.30),
]

# --- SaaS side of the platform ----------------------------------------------------------------------
FEATURES = ["dashboard", "reports", "inventory_sync", "campaign_builder", "api_console",
            "team_invite", "automation", "export_csv"]
PAGES = ["/", "/home", "/search", "/deals", "/pricing", "/help", "/account", "/orders", "/cart"]
REFERRERS = ["direct", "baidu.com", "weixin.qq.com", "douyin.com", "weibo.com", "xiaohongshu.com",
             "bing.com", "partner"]

# --- support tickets ---------------------------------------------------------------------------------
# queue -> category -> {"zh": (subjects, bodies), "en": (subjects, bodies)}
# Slots: {order} {product} {amount} {days} {plan} {error} {city}
TICKET_TEMPLATES: dict[str, dict[str, dict[str, tuple[list[str], list[str]]]]] = {
    "billing": {
        "payment_failed": {
            "zh": (["付款失败，扣款没有成功", "订阅续费扣款失败", "支付不了账单"],
                   ["我的{plan}订阅续费时提示扣款失败，银行卡余额是够的，请帮忙看看账单为什么付不了。",
                    "今天收到扣款失败的通知，金额{amount}元，支付方式是支付宝，麻烦核实一下付款状态。",
                    "续费账单一直显示待支付，我已经尝试付款三次都失败了，担心订阅被停。"]),
            "en": (["Payment failed for my subscription", "Card charge declined on renewal", "Cannot pay my invoice"],
                   ["My {plan} renewal payment of {amount} CNY failed although the card has funds. Please check the billing side.",
                    "I received a notice that the charge was declined. Could you retry the payment or tell me what is wrong with the invoice?",
                    "The invoice still shows unpaid after three payment attempts. I do not want my subscription suspended."]),
        },
        "double_charge": {
            "zh": (["重复扣款", "同一笔账单被扣了两次", "多扣了订阅费"],
                   ["这个月的订阅费被重复扣款了两次，每次{amount}元，请把多扣的费用退回到原支付账户。",
                    "银行流水显示同一张发票扣了两笔钱，请核对账单并处理多扣的金额。",
                    "我的账户出现两笔相同的扣费记录，应该只付一次订阅费。"]),
            "en": (["Charged twice this month", "Duplicate charge on my card", "Double billing for subscription"],
                   ["I was charged {amount} CNY twice for the same invoice this month. Please reverse the duplicate charge.",
                    "My bank statement shows two identical subscription charges. Only one should have been billed.",
                    "There is a duplicate billing entry on my account for the {plan} plan."]),
        },
        "invoice_request": {
            "zh": (["申请开具发票", "需要增值税专用发票", "发票抬头修改"],
                   ["请帮我开具上个月订阅费的增值税发票，公司抬头和税号已经在账户里更新。",
                    "财务需要{plan}套餐的发票，金额{amount}元，麻烦尽快开票并发送到邮箱。",
                    "之前开的发票抬头写错了，需要作废重开，请告诉我流程。"]),
            "en": (["Need a VAT invoice", "Invoice request for last month", "Change the company name on my invoice"],
                   ["Please issue a VAT invoice for last month's {plan} subscription fee of {amount} CNY.",
                    "Our finance team needs a tax invoice with our company name and tax number for the latest billing period.",
                    "The invoice title is wrong. Please void it and issue a new invoice with the correct company details."]),
        },
        "subscription_charge": {
            "zh": (["订阅费用和套餐价格不一致", "升级套餐后扣费疑问", "按席位计费金额不对"],
                   ["我升级到{plan}之后，这期账单金额是{amount}元，和官网价格对不上，请解释一下计费方式。",
                    "按席位计费的订阅本月多收了两个席位的钱，我们已经减少了席位。",
                    "按量计费的账单比平时高很多，想了解本期用量和单价是怎么计算的。"]),
            "en": (["Subscription price does not match the plan", "Question about my bill after upgrading", "Per-seat billing amount is wrong"],
                   ["After upgrading to {plan} my bill is {amount} CNY, which does not match the listed price. Please explain the billing.",
                    "We were billed for two extra seats this month although we reduced the seat count.",
                    "The usage-based bill is much higher than usual. How were the usage units and unit price calculated?"]),
        },
        "coupon_issue": {
            "zh": (["优惠券无法使用", "满减券结算时没生效", "优惠码提示无效"],
                   ["结算时优惠券没有抵扣，明明满足满{amount}元的使用条件，请帮忙看看。",
                    "活动领取的优惠码提示已失效，可是还在有效期内。",
                    "下单用了优惠券但是实付金额没有减少，麻烦核对一下优惠。"]),
            "en": (["Coupon code not accepted", "Discount coupon not applied at payment", "Promo code says invalid"],
                   ["The coupon was not applied at payment even though my basket is above the {amount} CNY minimum spend.",
                    "My promo code says it is expired but the campaign is still running.",
                    "I used a coupon but the amount paid was not discounted. Please check the coupon."]),
        },
    },
    "technical": {
        "app_crash": {
            "zh": (["App 打开就闪退", "更新后应用崩溃", "小程序一直白屏"],
                   ["升级到最新版本以后，App 一打开就闪退，手机已经重启过，还是崩溃。",
                    "在报表页面点击导出时应用崩溃，错误代码 {error}，请技术同事看一下。",
                    "小程序一直白屏加载不出来，清除缓存也没用。"]),
            "en": (["App crashes on launch", "Crash after the latest update", "Mini program shows a blank screen"],
                   ["Since the latest update the app crashes as soon as I open it. Reinstalling did not help.",
                    "The app crashes when I export a report, error code {error}. Please ask engineering to look at it.",
                    "The mini program only shows a blank white screen and never loads."]),
        },
        "sync_error": {
            "zh": (["数据同步失败", "库存同步报错", "多端数据不同步"],
                   ["库存同步功能从昨天开始报错 {error}，店铺的数据一直没有同步过来。",
                    "电脑端和手机端的数据不一致，同步任务显示失败。",
                    "自动化同步任务每次运行到一半就中断，日志里提示超时。"]),
            "en": (["Data sync failing", "Inventory sync error", "Devices out of sync"],
                   ["The inventory sync has been failing since yesterday with error {error}; store data is not syncing.",
                    "Desktop and mobile show different data and the sync job reports a failure.",
                    "The automation sync job stops halfway every time and the log shows a timeout."]),
        },
        "slow_performance": {
            "zh": (["系统很卡", "报表加载非常慢", "页面响应慢"],
                   ["这两天打开报表要等一分钟以上，页面非常卡顿，影响我们日常使用。",
                    "仪表盘加载特别慢，经常转圈圈，网络是正常的。",
                    "批量导出数据时系统几乎没有响应，CPU 占用很高。"]),
            "en": (["System is very slow", "Reports take forever to load", "Dashboard is lagging"],
                   ["Opening reports takes more than a minute these days; the dashboard keeps spinning.",
                    "The whole web console is lagging and pages time out, our network is fine.",
                    "Bulk export makes the system unresponsive and the page freezes."]),
        },
        "api_error": {
            "zh": (["接口返回 500 错误", "API 调用报错", "Webhook 回调失败"],
                   ["调用开放接口时一直返回 {error} 错误，文档里的示例也跑不通。",
                    "我们的 Webhook 回调从今天早上开始失败，签名校验不通过。",
                    "API 限流提示过于频繁，调用量并没有超过套餐上限。"]),
            "en": (["API returns 500", "Error calling the API", "Webhook callbacks failing"],
                   ["The open API keeps returning error {error}; even the sample request from the docs fails.",
                    "Our webhook callbacks started failing this morning with a signature verification error.",
                    "We keep hitting API rate limits although our request volume is below the plan limit."]),
        },
    },
    "shipping": {
        "delivery_delay": {
            "zh": (["快递迟迟没有送到", "物流{days}天没更新", "配送延误"],
                   ["订单{order}已经发货{days}天了还没有送到，物流信息一直停在{city}转运中心。",
                    "说好的次日达，快递到现在都没有配送，请催一下。",
                    "包裹显示派送中但是一直没有人送货上门。"]),
            "en": (["Delivery is late", "No tracking update for {days} days", "Package delayed"],
                   ["Order {order} shipped {days} days ago and still has not arrived; tracking is stuck at the {city} hub.",
                    "It was supposed to be next-day delivery but the courier has not delivered yet.",
                    "The parcel says out for delivery but nobody has come."]),
        },
        "tracking_missing": {
            "zh": (["查不到物流信息", "快递单号无效", "没有物流跟踪"],
                   ["订单{order}显示已发货，但是快递单号查不到任何物流信息。",
                    "物流跟踪页面一直是空的，快递公司说没有这个单号。",
                    "请提供正确的运单号，我想知道包裹现在在哪里。"]),
            "en": (["No tracking information", "Tracking number does not work", "Cannot track my parcel"],
                   ["Order {order} is marked as shipped but the tracking number shows nothing.",
                    "The courier says the tracking number does not exist.",
                    "Please send me the correct waybill number so I can track the package."]),
        },
        "damaged_package": {
            "zh": (["包裹破损", "快递外箱压坏了", "收到的包裹被拆过"],
                   ["今天收到的包裹外箱严重破损，里面的{product}也被压坏了，快递员说找商家处理。",
                    "快递送到时外包装已经被拆开，怀疑运输途中丢件。",
                    "包裹运输过程中受潮了，外箱全湿了。"]),
            "en": (["Package arrived damaged", "Box crushed in transit", "Parcel was opened during delivery"],
                   ["The parcel arrived badly crushed and the {product} inside is damaged; the courier told me to contact you.",
                    "The outer packaging had been opened when the courier delivered it; something may be missing.",
                    "The box got wet during transport."]),
        },
        "wrong_address": {
            "zh": (["修改收货地址", "地址填错了", "送错地址"],
                   ["订单{order}的收货地址填错了，请帮我改到{city}的新地址，还没发货。",
                    "快递送到了别的小区，和我的收货地址不一致。",
                    "我想更换配送地址和收件人电话。"]),
            "en": (["Change the delivery address", "Wrong shipping address", "Delivered to the wrong address"],
                   ["I entered the wrong shipping address on order {order}; please change it to my new address in {city}.",
                    "The courier delivered to a different building than my address.",
                    "I need to update the recipient phone number and delivery address."]),
        },
    },
    "account": {
        "password_reset": {
            "zh": (["忘记密码", "重置密码收不到验证码", "无法登录账号"],
                   ["忘记登录密码了，点击重置密码后手机一直收不到验证码。",
                    "重置密码的邮件没有收到，垃圾箱里也没有。",
                    "用手机号登录提示密码错误，我确定密码没改过。"]),
            "en": (["Forgot my password", "No verification code for password reset", "Cannot log in"],
                   ["I forgot my password and the reset verification code never arrives by SMS.",
                    "The password reset email is not in my inbox or spam folder.",
                    "Login says my password is wrong although I never changed it."]),
        },
        "account_locked": {
            "zh": (["账号被锁定", "账户被冻结", "登录提示异常"],
                   ["账号因为多次登录失败被锁定了，请帮忙解锁，我需要马上登录。",
                    "登录时提示账户存在安全风险被冻结，我没有做任何异常操作。",
                    "我的账号突然被封禁，请告知原因。"]),
            "en": (["Account locked", "My account is frozen", "Login blocked for security"],
                   ["My account was locked after several failed logins. Please unlock it, I need access now.",
                    "Login says my account is frozen for security reasons but I did nothing unusual.",
                    "My account was suddenly suspended. Please tell me why."]),
        },
        "profile_update": {
            "zh": (["更换绑定手机号", "修改账户信息", "实名认证失败"],
                   ["原来的手机号不用了，想把账号绑定的手机号换成新的，请问怎么操作。",
                    "企业认证信息需要更新，公司名称变了。",
                    "实名认证一直提示信息不匹配，身份证号是对的。"]),
            "en": (["Change the phone number on my account", "Update account profile", "Identity verification fails"],
                   ["I no longer use my old phone number; how do I bind a new number to my account?",
                    "Our company name changed and the account profile needs updating.",
                    "Identity verification keeps saying my details do not match."]),
        },
        "data_deletion": {
            "zh": (["申请注销账号", "删除个人信息", "导出我的个人数据"],
                   ["我想注销账号并删除所有个人信息，请告诉我注销流程。",
                    "根据个人信息保护法，请删除我在平台上的个人数据。",
                    "请帮我导出账号下的全部个人数据。"]),
            "en": (["Delete my account", "Remove my personal data", "Export my personal data"],
                   ["I want to close my account and delete all my personal information.",
                    "Under the personal information protection law, please erase my personal data.",
                    "Please export all personal data stored under my account."]),
        },
    },
    "returns": {
        "return_request": {
            "zh": (["申请退货", "七天无理由退货", "商品不满意想退"],
                   ["订单{order}里的{product}不太合适，想申请七天无理由退货，请提供退货地址。",
                    "收到的{product}和描述不符，我要退货。",
                    "退货申请提交后一直没有审核，请尽快处理退货。"]),
            "en": (["Return request", "I want to return an item", "7-day no-reason return"],
                   ["The {product} from order {order} does not suit me. I would like to return it; please send the return address.",
                    "The {product} I received is not as described and I want to return it.",
                    "My return request has not been approved yet; please process the return."]),
        },
        "refund_status": {
            "zh": (["退款什么时候到账", "退款进度查询", "退货后没收到退款"],
                   ["退货已经寄回{days}天了，退款{amount}元还没有到账，请查一下退款进度。",
                    "仓库已经签收退货，但是退款一直显示处理中。",
                    "申请退款后没有任何消息，钱什么时候退回来？"]),
            "en": (["When will I get my refund", "Refund status", "Returned item but no refund yet"],
                   ["I sent the return back {days} days ago and the refund of {amount} CNY has not arrived.",
                    "The warehouse received my return but the refund is still processing.",
                    "No news about my refund since I returned the item."]),
        },
        "exchange_request": {
            "zh": (["申请换货", "换一个尺码", "换货进度"],
                   ["买的{product}尺码偏小，想换大一码，请问换货怎么操作。",
                    "收到的颜色不对，需要换货。",
                    "换货申请提交一周了，新的商品还没寄出。"]),
            "en": (["Exchange request", "Exchange for another size", "Exchange status"],
                   ["The {product} is too small and I would like to exchange it for a larger size.",
                    "I received the wrong colour and need an exchange.",
                    "I asked for an exchange a week ago and the replacement has not shipped."]),
        },
    },
    "product": {
        "product_question": {
            "zh": (["商品使用咨询", "这个产品怎么用", "产品功能咨询"],
                   ["请问{product}有没有中文说明书？第一次使用不太会操作。",
                    "{product}支持哪些功能？详情页介绍得不太清楚。",
                    "想了解一下{product}的材质和保养方法。"]),
            "en": (["Question about a product", "How do I use this product", "Product feature question"],
                   ["Does the {product} come with a manual? I am not sure how to use it the first time.",
                    "Which features does the {product} support? The product page is unclear.",
                    "What material is the {product} made of and how should I care for it?"]),
        },
        "size_spec": {
            "zh": (["尺码规格咨询", "参数是多少", "尺寸怎么选"],
                   ["身高170体重60公斤，{product}应该选哪个尺码？",
                    "{product}的具体规格参数是多少？重量和尺寸。",
                    "想确认一下{product}的容量和功率。"]),
            "en": (["Size and specification question", "What are the specs", "Which size should I choose"],
                   ["I am 170 cm and 60 kg, which size of {product} should I pick?",
                    "What are the exact specifications of the {product}, weight and dimensions?",
                    "Can you confirm the capacity and power rating of the {product}?"]),
        },
        "stock_availability": {
            "zh": (["什么时候补货", "商品显示缺货", "预售什么时候发"],
                   ["{product}一直显示缺货，请问什么时候补货？",
                    "想买的{product}在{city}仓没货了，其他仓库有吗？",
                    "{product}到货了能通知我吗？"]),
            "en": (["When will this be back in stock", "Item shows out of stock", "Restock date"],
                   ["The {product} has been out of stock for a while. When will you restock it?",
                    "The {product} is unavailable at the {city} warehouse; is there stock elsewhere?",
                    "Can you notify me when the {product} is available again?"]),
        },
        "compatibility": {
            "zh": (["兼容性咨询", "能不能配合使用", "型号是否匹配"],
                   ["{product}和我之前买的设备兼容吗？型号是去年的款。",
                    "{product}能不能搭配其他品牌的配件一起用？",
                    "请确认{product}是否适配我的型号。"]),
            "en": (["Compatibility question", "Does it work with my device", "Is this model compatible"],
                   ["Is the {product} compatible with the device I bought last year?",
                    "Can the {product} be used with accessories from another brand?",
                    "Please confirm the {product} fits my model."]),
        },
    },
}
# Deliberately ambiguous tickets: (candidate queues, zh subjects/bodies, en subjects/bodies).
AMBIGUOUS_TEMPLATES = [
    (["returns", "billing", "shipping"],
     (["订单有问题", "请尽快处理我的问题"], ["订单{order}有点问题，钱已经付了，东西也不对，请尽快联系我处理。"]),
     (["Problem with my order", "Please help with my order"], ["Something is wrong with order {order}. I paid already and it is not right, please contact me."])),
    (["billing", "technical", "account"],
     (["付款页面打不开", "扣钱了但是账号没变化"], ["付款的时候页面报错，钱好像扣了，但是账号里看不到，不知道是哪里的问题。"]),
     (["Payment page error", "Charged but nothing changed in my account"], ["The page showed an error while paying, I think I was charged but my account shows nothing."])),
    (["shipping", "returns", "product"],
     (["东西不对", "收到的商品有问题"], ["收到的{product}和我想要的不一样，不知道是发错了还是我选错了，怎么办？"]),
     (["Not what I expected", "Issue with the item I received"], ["The {product} I got is not what I wanted; not sure if it was sent wrong or I picked wrong. What now?"])),
    (["account", "technical"],
     (["看不到我的数据", "登录后页面异常"], ["登录以后看不到之前的数据了，页面也显示不正常。"]),
     (["My data disappeared", "Strange page after login"], ["After logging in I cannot see my earlier data and the page looks broken."])),
]
TICKET_OPENERS = {"zh": ["您好，", "你好，", "客服你好，", "", "麻烦问一下，"],
                  "en": ["Hello, ", "Hi team, ", "Hi, ", "", "Dear support, "]}
TICKET_CLOSERS = {"zh": ["谢谢！", "麻烦尽快回复。", "辛苦了。", "", "期待回复。"],
                  "en": [" Thanks!", " Please reply soon.", " Thank you.", "", " Regards."]}
ERROR_CODES = ["E1001", "E2043", "500", "502", "504", "ERR_TIMEOUT", "SYNC_409", "AUTH_401"]

# --- product feedback and NPS ---------------------------------------------------------------------
FEEDBACK_TEMPLATES = {
    "usability": {"zh": ["界面操作不够直观，找功能要点好几层。", "希望报表页面可以自定义列。", "新版导航比以前难用。"],
                  "en": ["The interface is not intuitive, features are buried several levels deep.",
                         "Please let us customise report columns.", "The new navigation is harder to use than before."]},
    "performance": {"zh": ["高峰期页面加载很慢。", "导出大文件经常超时。", "App 耗电有点快。"],
                    "en": ["Pages load slowly at peak times.", "Large exports often time out.", "The app drains the battery quickly."]},
    "pricing": {"zh": ["套餐价格偏高，希望有更灵活的计费。", "按席位收费对小团队不友好。", "年付折扣可以再大一些。"],
                "en": ["Plans are expensive, we want more flexible pricing.", "Per-seat pricing is unfriendly to small teams.",
                       "The annual discount could be bigger."]},
    "feature_request": {"zh": ["希望支持多仓库库存预警。", "能否增加企业微信通知？", "希望开放更多数据接口。"],
                        "en": ["Please add low-stock alerts per warehouse.", "Could you add WeCom notifications?",
                               "We would like more data APIs."]},
    "bug": {"zh": ["筛选条件保存后丢失。", "导出的CSV中文乱码。", "日期选择器在手机上显示错位。"],
            "en": ["Saved filters get lost.", "Exported CSV shows garbled Chinese characters.",
                   "The date picker is misaligned on mobile."]},
    "delivery": {"zh": ["配送速度比承诺的慢。", "包装太简陋，商品有磕碰。", "希望可以预约送货时间。"],
                 "en": ["Delivery was slower than promised.", "Packaging was flimsy and the item got scratched.",
                        "Please let us choose a delivery time slot."]},
}
NPS_COMMENTS = {
    "promoter": {"zh": ["很好用，已经推荐给同事。", "功能全面，客服响应快。", "性价比高。"],
                 "en": ["Great product, already recommended it to colleagues.", "Complete features and fast support.",
                        "Good value for money."]},
    "passive": {"zh": ["整体还行，有些功能需要改进。", "能满足基本需求。", "价格再低一点就更好了。"],
                "en": ["Fine overall, some features need work.", "Covers the basics.", "Would be better if cheaper."]},
    "detractor": {"zh": ["客服太慢，问题一直没解决。", "经常出错，考虑换别家。", "扣费有问题，体验很差。"],
                  "en": ["Support is too slow and never solved my issue.", "Too many errors, thinking of switching.",
                         "Billing problems, very poor experience."]},
}
