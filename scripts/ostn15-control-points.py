#!/usr/bin/env python3
"""Writes crates/geo/tests/data/ostn15-control-points.csv: independent control points for the
grid conversion test.

Each row is a National Grid easting/northing and its ETRS89 longitude/latitude computed with the
Ordnance Survey's OSTN15 transformation (accurate to about 0.1 m), via PyPI `convertbng` 2.0.0
(a wrapper of the Rust `lonlat_bng` crate, which embeds the OSTN15 grid). ETRS89 and WGS84 differ
by under a metre in Great Britain; the test allows 5 m. The points cover the West Midlands on a
5 km lattice. Run:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install convertbng==2.0.0
    /tmp/venv/bin/python scripts/ostn15-control-points.py > crates/geo/tests/data/ostn15-control-points.csv
"""
from convertbng.cutil import convert_lonlat

eastings, northings = [], []
for e in range(380_000, 445_001, 5_000):
    for n in range(265_000, 315_001, 5_000):
        eastings.append(e)
        northings.append(n)
lons, lats = convert_lonlat(eastings, northings)
print("easting,northing,lat,lon")
for e, n, lat, lon in zip(eastings, northings, lats, lons):
    print(f"{e},{n},{lat:.8f},{lon:.8f}")
