"""The projection the maps are drawn with and clicks are read back with: a point drawn and read
back is the same point, the place fills the drawing in proportion, and a single point or a
line still makes a drawing."""

from __future__ import annotations

import math

import pytest

from app.workflow import places


@pytest.mark.parametrize(
    "bounds",
    [
        (-0.15, 51.42, -0.08, 51.51),  # a London borough: taller than wide
        (-4.7, 53.1, -4.0, 53.45),  # an island: wider than tall
        (-2.2, 53.5, -2.2, 53.6),  # a north-south line
        (-1.0, 52.0, -0.5, 52.0),  # an east-west line
        (-1.0, 52.0, -1.0, 52.0),  # one point
    ],
)
def test_a_point_drawn_and_read_back_is_the_same_point(bounds):
    frame = places.frame_for(bounds)
    west, south, east, north = bounds
    assert frame.width == places.MAP_WIDTH
    assert places.MAP_MIN_HEIGHT <= frame.height <= places.MAP_MAX_HEIGHT
    for i in range(11):
        lon = west + (east - west) * i / 10
        lat = south + (north - south) * (10 - i) / 10
        x, y = frame.to_xy(lon, lat)
        # Inside the drawing, margins kept.
        assert places.MAP_MARGIN - 1e-9 <= x <= frame.width - places.MAP_MARGIN + 1e-9
        assert places.MAP_MARGIN - 1e-9 <= y <= frame.height - places.MAP_MARGIN + 1e-9
        back = frame.to_lonlat(x, y)
        assert back == pytest.approx((lon, lat), abs=1e-9)


def test_shapes_keep_their_proportions_on_the_ground():
    # A square on the ground at 53° north: 0.1° of latitude is 0.1 / cos(53°) of longitude.
    lat = 53.0
    frame = places.frame_for(
        (-2.0, lat - 0.05, -2.0 + 0.1 / math.cos(math.radians(lat)), lat + 0.05)
    )
    x0, y0 = frame.to_xy(-2.0, lat + 0.05)
    x1, y1 = frame.to_xy(-2.0 + 0.1 / math.cos(math.radians(lat)), lat - 0.05)
    assert (x1 - x0) == pytest.approx(y1 - y0, rel=1e-3)
    # Centred in the width: as tall as it may be, so narrower than the drawing.
    assert x0 == pytest.approx(frame.width - x1)


def test_a_frames_key_changes_with_the_frame():
    one = places.frame_for((-1.0, 52.0, -0.9, 52.2))
    assert one.key == places.frame_for((-1.0, 52.0, -0.9, 52.2)).key
    assert one.key != places.frame_for((-1.0, 52.0, -0.9, 52.21)).key
