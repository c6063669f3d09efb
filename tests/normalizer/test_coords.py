"""Coordinates: GCJ-02 and BD-09 to WGS-84, limits, and outside China."""
from __future__ import annotations

import math

import pytest

from normalizer.coords import bd_to_gcj, gcj_to_bd, gcj_to_wgs, out_of_china, to_wgs84, wgs_to_gcj

WUHAN_WGS = (30.5928, 114.3055)


def _metres(a, b):
    dlat = (a[0] - b[0]) * 111_320
    dlng = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlng)


def test_gcj_offset_in_wuhan_is_a_few_hundred_metres():
    gcj = wgs_to_gcj(*WUHAN_WGS)
    assert 100 < _metres(gcj, WUHAN_WGS) < 1000


@pytest.mark.parametrize("point", [WUHAN_WGS, (39.9087, 116.3975), (22.5431, 114.0579), (45.75, 126.65)])
def test_gcj_round_trip_is_under_a_metre(point):
    assert _metres(gcj_to_wgs(*wgs_to_gcj(*point)), point) < 1.0


def test_bd_round_trip():
    gcj = wgs_to_gcj(*WUHAN_WGS)
    bd = gcj_to_bd(*gcj)
    assert _metres(bd, gcj) > 100                       # BD-09 is offset again
    assert _metres(bd_to_gcj(*bd), gcj) < 1.0
    assert _metres(to_wgs84(bd[0], bd[1], "BD-09"), WUHAN_WGS) < 1.0


@pytest.mark.parametrize("lat, lng", [(48.8566, 2.3522), (40.7128, -74.0060), (-33.87, 151.21), (0.0, 0.0)])
def test_outside_china_gcj_is_identity(lat, lng):
    assert out_of_china(lat, lng)
    assert to_wgs84(lat, lng, "GCJ-02") == (lat, lng)


@pytest.mark.parametrize("lat, lng, crs, expected", [
    (90, 180, "GCJ-02", (90.0, 180.0)),                  # the limits are valid and outside China
    (-90, -180, "WGS-84", (-90.0, -180.0)),
    (90.0001, 10, "WGS-84", None),                       # beyond the limits
    (10, 180.5, "GCJ-02", None),
    (float("nan"), 114.3, "GCJ-02", None),
    (float("inf"), 114.3, "WGS-84", None),
    (None, 114.3, "WGS-84", None),
    ("30.5", "114.3", "WGS-84", (30.5, 114.3)),         # numeric strings are read
    ("北", 114.3, "WGS-84", None),
    (True, 114.3, "WGS-84", None),
])
def test_to_wgs84_limits_and_bad_input(lat, lng, crs, expected):
    assert to_wgs84(lat, lng, crs) == expected


def test_bd09_at_the_date_line_stays_in_range():
    lat, lng = to_wgs84(10, 180, "BD-09")
    assert -90 <= lat <= 90 and -180 <= lng <= 180
