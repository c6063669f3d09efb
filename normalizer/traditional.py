"""Fold common traditional characters to simplified ones, so keyword and place lists match either script.

A full converter (OpenCC) is a heavy dependency and slow per call; reports in traditional script are rare on
mainland hotlines, so a table of frequent characters is enough to make the lists match. Characters that are also
valid simplified characters with another meaning (著, 乾, 後 in names, 台, 里...) are left out on purpose.
"""
from __future__ import annotations

import re

# Pairs written as "traditional simplified" runs, two strings of equal length.
_TRADITIONAL = (
    "區縣鎮鄉街為與於這個們時會來說國對學過動後發經現還點進樣開種問題讓請務業實現從員問題當"
    "關號電話車輛門間燈橋樓層場廠館醫療診藥師長幣錢買賣價費銀歲醫護傷災難險漏氣煙燒報警"
    "聽見覺視親無沒幾處應該麼樣誰條單網絡記錄辦計劃設備環衛垃圾噪聲響煩訴訟諮詢檢舉"
    "壞雜亂擁擠遠邊離陽陰雲風寫讀書東漢鄂廣蘇濟興澤陝遼靈驗證據證實際權利衛戶籍區劃"
    "鐵線紅綠藍黃綫飛機場碼頭寬窄殘廢舊萬億園遊戲劇團體運動練習課師範轉讓認識議論"
    "溫熱漲價滿讚願員幫帶塊層狀況態勢標準規範範圍執罰罰款屬實懷疑擔憂暫緊急亂倒塌嚴"
    "傳統聯繫係統歷史驗收燈飾鏡頭圖書館餘額備註貼補償撥款繳納稅務財產權益辦理審批準許"
    "洩鬧嚇闖搶劫殺綁觸溺墜蹤與醫"
)
_SIMPLIFIED = (
    "区县镇乡街为与于这个们时会来说国对学过动后发经现还点进样开种问题让请务业实现从员问题当"
    "关号电话车辆门间灯桥楼层场厂馆医疗诊药师长币钱买卖价费银岁医护伤灾难险漏气烟烧报警"
    "听见觉视亲无没几处应该么样谁条单网络记录办计划设备环卫垃圾噪声响烦诉讼咨询检举"
    "坏杂乱拥挤远边离阳阴云风写读书东汉鄂广苏济兴泽陕辽灵验证据证实际权利卫户籍区划"
    "铁线红绿蓝黄线飞机场码头宽窄残废旧万亿园游戏剧团体运动练习课师范转让认识议论"
    "温热涨价满赞愿员帮带块层状况态势标准规范范围执罚罚款属实怀疑担忧暂紧急乱倒塌严"
    "传统联系系统历史验收灯饰镜头图书馆余额备注贴补偿拨款缴纳税务财产权益办理审批准许"
    "泄闹吓闯抢劫杀绑触溺坠踪与医"
)
assert len(_TRADITIONAL) == len(_SIMPLIFIED)

# Only characters that actually differ go into the table (the runs above repeat some simplified ones).
TRADITIONAL_TO_SIMPLIFIED = {
    ord(t): s for t, s in zip(_TRADITIONAL, _SIMPLIFIED) if t != s
}


# str.translate with a dict costs a lookup per character; a character-class search in C skips most texts.
_ANY_TRADITIONAL = re.compile("[" + "".join(sorted(chr(k) for k in TRADITIONAL_TO_SIMPLIFIED)) + "]")


def fold_traditional(text: str) -> str:
    """Replace the frequent traditional characters of `text` by their simplified forms."""
    if _ANY_TRADITIONAL.search(text) is None:
        return text
    return text.translate(TRADITIONAL_TO_SIMPLIFIED)
