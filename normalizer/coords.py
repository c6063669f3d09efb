"""Coordinates to WGS-84: China's GCJ-02 ("Mars") and Baidu's BD-09 as apps and map SDKs send them."""
from __future__ import annotations

import math
from typing import Any

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 obfuscation formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def out_of_china(lat: float, lng: float) -> bool:
    """True outside the rough bounding box where GCJ-02 applies (there GCJ-02 equals WGS-84)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs_to_gcj(lat: float, lng: float) -> tuple[float, float]:
    """WGS-84 to GCJ-02 (the forward formula); identity outside China."""
    if out_of_china(lat, lng):
        return lat, lng
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lat + dlat, lng + dlng


def gcj_to_wgs(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 to WGS-84 by fixed-point iteration of the forward formula (error well under a metre)."""
    if out_of_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    # The offset changes slowly with position, so each step removes most of the remaining error.
    for _ in range(10):
        glat, glng = wgs_to_gcj(wlat, wlng)
        dlat, dlng = glat - lat, glng - lng
        wlat, wlng = wlat - dlat, wlng - dlng
        if abs(dlat) < 1e-9 and abs(dlng) < 1e-9:
            break
    return wlat, wlng


def bd_to_gcj(lat: float, lng: float) -> tuple[float, float]:
    """BD-09 to GCJ-02 (Baidu's published inverse)."""
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def gcj_to_bd(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 to BD-09 (used by the tests to round-trip)."""
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def to_wgs84(lat: Any, lng: Any, crs: str | None) -> tuple[float, float] | None:
    """(lat, lng) in WGS-84 rounded to 7 decimals, or None when the input is not a valid coordinate."""
    lat, lng = _number(lat), _number(lng)
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    crs = (crs or "WGS-84").upper().replace("_", "-")
    if crs in ("BD-09", "BD09", "BD09LL"):
        # Baidu's offset is defined on top of GCJ-02 even outside China; the GCJ step is then identity.
        lat, lng = gcj_to_wgs(*bd_to_gcj(lat, lng))
    elif crs in ("GCJ-02", "GCJ02"):
        lat, lng = gcj_to_wgs(lat, lng)
    lat = max(-90.0, min(90.0, lat))
    lng = max(-180.0, min(180.0, lng))
    return round(lat, 7), round(lng, 7)
