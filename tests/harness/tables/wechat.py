"""WeChat pushes as WeChat's servers send them: XML signed with the account's token, in plain or safe mode."""
from __future__ import annotations

from dataclasses import replace

from tests.harness.fixture_table import FROZEN, Answer, ChannelTable, Row, ticket
from tests.wechat.simulator import AES_KEY, APP_ID, APP_SECRET, OPENID, TOKEN, WeChatServer

REPORT = "您的诉求已受理，编号"
SUCCESS = "success"   # WeChat's "no reply"
CITIZEN = f"wechat:{OPENID}"


def send_push(client, raw: bytes, row: Row) -> Answer:
    """Push the fixture's XML, signed at the frozen time; safe mode encrypts it and decrypts the reply."""
    reply = WeChatServer(client, lambda: FROZEN).push(raw.decode("utf-8"), row.mode or "plain")
    return Answer(reply.status, reply.content if reply.content is not None else reply.body.decode("utf-8"))


def _report(**fields) -> tuple[dict, ...]:
    return (ticket(channel="wechat", citizen=CITIZEN, **fields),)


ROWS: tuple[Row, ...] = (
    Row("text__report.xml", tickets=_report(text="汉阳区钟家村小区3栋门口路灯坏了三天，晚上很黑，老人容易摔倒"),
        reply=REPORT),
    Row("text__emergency.xml", tickets=_report(text="楼下餐馆着火了，浓烟很大，武昌区中山路88号"), reply="119"),
    Row("text__cdata_breaker.xml", tickets=_report(text="路边井盖丢了]]>注意<b>&amp;危险</b>"), reply=REPORT),
    Row("text__query.xml", reply="您还没有通过本公众号提交过诉求"),
    Row("text__query_reference.xml", reply="没有找到您提交的编号为 K7QM4-XP2HD 的诉求"),
    Row("text__new_report_keyword.xml", reply="请直接发送您要反映的问题"),
    Row("image__photo.xml", tickets=_report(text="", attachments=[
        {"id": "wechat-media:MEDIA_IMAGE_1_l3Ue9cR_hZPGvPjxYvk8",
         "url": "http://mmbiz.qpic.cn/mmbiz_jpg/Qx5fJ1lAhh7Vq1/0", "content_type": "image/jpeg"}]), reply=REPORT),
    Row("voice__recognized.xml", tickets=_report(text="江岸区后湖大道工地晚上十二点还在施工，噪音太大", attachments=[
        {"id": "wechat-media:MEDIA_VOICE_1_Xq0rTgLxW2Y0dVbP4m", "url": None, "content_type": "audio/amr"}]),
        reply=REPORT),
    Row("voice__unrecognized.xml", tickets=_report(text=""), reply=REPORT),
    Row("video__clip.xml", tickets=_report(text=""), reply=REPORT),
    Row("shortvideo__clip.xml", tickets=_report(text=""), reply=REPORT),
    Row("location__pin.xml", tickets=_report(text="湖北省武汉市汉阳区钟家村", location={
        "lat": 30.549236, "lng": 114.264152, "crs": "GCJ-02", "address": "湖北省武汉市汉阳区钟家村"}), reply=REPORT),
    Row("link__article.xml", tickets=_report(text="小区违建曝光\n业主在楼顶加盖阳光房\nhttps://mp.weixin.qq.com/s/Xy7dPq2Lw9"),
        reply=REPORT),
    Row("file__document.xml", reply="暂不支持这种消息类型"),
    Row("event_subscribe__plain.xml", reply="110"),
    Row("event_subscribe__qrscene.xml", reply="查询"),
    Row("event_scan__subscribed.xml", reply="欢迎关注"),
    Row("event_unsubscribe__basic.xml", reply=SUCCESS),
    Row("event_click__report.xml", reply="请直接发送您要反映的问题"),
    Row("event_click__query.xml", reply="您还没有通过本公众号提交过诉求"),
    Row("event_click__rate.xml", reply="您暂时没有待评价的诉求"),
    Row("event_click__unknown_key.xml", reply="欢迎关注"),
    Row("event_location__report.xml", reply=SUCCESS),
    Row("event_view__menu_link.xml", reply=SUCCESS),
    Row("event_templatesendjobfinish__success.xml", reply=SUCCESS),
)

# Every push again in safe mode (encrypted, and the reply sealed): the same answer and the same ticket.
ROWS += tuple(replace(row, mode="safe") for row in ROWS)

TABLE = ChannelTable("wechat", send_push, ROWS, env={
    "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET,
    "WECHAT_ENCODING_AES_KEY": AES_KEY})
