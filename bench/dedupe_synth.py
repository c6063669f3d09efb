"""A generated corpus of realistic appeals with planted duplicates (for throughput and latency benchmarks)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Iterator

# Place names draw on a few hundred characters, as real ones do (a small pool would make every name collide).
_SYLLABLES = ("金银翠碧锦华盛泰康宁安和平嘉禾丽景明珠翰林凤凰梧桐桂兰梅竹松柏枫杨柳湖江河山岭岗湾洲滨阳光星月云霞"
              "东西南北中新旧古青红黄白紫绿蓝春夏秋冬福寿喜乐富贵吉祥瑞德仁义礼智信忠孝廉耻书香墨雅韵清风"
              "朝晖晓晨曦辉煌荣耀龙虎鹤鹿燕莺鹏鸿雁沙石岩峰谷溪泉潭港塘桥亭台楼阁轩园庭院苑府邸居汇聚融通达"
              "长永恒久远高深广博大天地人文武英雄豪杰俊秀美佳良好优胜利兴旺隆昌繁茂盈丰硕果树木花草芳菲馨")
_COMMUNITY = ["小区", "花园", "家园", "苑", "新城", "公寓"]
_ROAD = ["路", "大道", "街"]
_DISTRICTS = ["江岸区", "江汉区", "硚口区", "汉阳区", "武昌区", "青山区", "洪山区", "东西湖区", "蔡甸区", "江夏区",
              "黄陂区", "新洲区"]
_PROBLEMS = [
    ("{p}电梯长期故障", "{p}{n}栋电梯经常停运，物业一直不修，老人上下楼非常困难，请督促物业尽快维修。"),
    ("{p}门口烧烤摊噪音扰民", "{p}门口的烧烤摊每天营业到凌晨，油烟和噪音很大，住户无法休息，请城管部门处理。"),
    ("{r}路面塌陷", "{r}靠近{p}的路段出现大坑，已经有电动车摔倒，晚上很危险，请尽快修复路面。"),
    ("{p}停水", "{p}从{n}号开始停水，没有任何通知，居民生活受到严重影响，请供水部门尽快恢复。"),
    ("{p}附近工地夜间施工", "{p}旁边的工地每天晚上施工到十一点以后，噪音很大，影响居民休息，请环保部门查处。"),
    ("{r}路灯不亮", "{r}{n}号附近的路灯已经坏了一个多月，晚上一片漆黑，行人很不安全，请尽快维修。"),
    ("{p}垃圾清运不及时", "{p}的垃圾桶满了好几天没人清运，气味难闻，蚊蝇很多，请环卫部门处理。"),
    ("咨询公积金提取", "我在{d}工作{n}年，想咨询离职后公积金怎么提取，需要哪些材料，多久到账？"),
]
_OPENERS = ["", "尊敬的领导：您好！", "你好，", "我是{p}的业主，", "反映一个问题："]
_CLOSERS = ["", "谢谢！", "希望尽快解决。", "盼复。", "多次反映没有结果，请重视。"]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3))))


def generate(count: int, seed: int = 7, dup_rate: float = 0.25) -> Iterator[dict]:
    """`count` report lines in the `dedupe cluster` input format; about `dup_rate` repeat an earlier problem."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, 8, 0)
    places = [(_name(rng) + rng.choice(_COMMUNITY), _name(rng) + rng.choice(_ROAD), rng.choice(_DISTRICTS))
              for _ in range(max(50, count // 4))]
    issued: list[tuple[int, int]] = []
    for i in range(count):
        if issued and rng.random() < dup_rate:
            place_i, problem_i = rng.choice(issued[-5000:])
        else:
            place_i, problem_i = rng.randrange(len(places)), rng.randrange(len(_PROBLEMS))
            issued.append((place_i, problem_i))
        p, r, d = places[place_i]
        title, body = _PROBLEMS[problem_i]
        fill = {"p": p, "r": r, "d": d, "n": rng.randint(1, 30)}
        text = (rng.choice(_OPENERS) + body + rng.choice(_CLOSERS)).format(**fill)
        yield {"id": str(i), "received_at": (start + timedelta(seconds=37 * i)).isoformat(),
               "title": d + title.format(**fill), "text": text, "channel": "app",
               "citizen": f"u{rng.randrange(count)}",
               # The planted truth: one case per (place, problem); a personal question is each asker's own.
               "truth": f"own/{i}" if "{p}" not in body and "{r}" not in body else f"{place_i}/{problem_i}"}
