#!/usr/bin/python3
"""Independent reference values for test/ops/image/io/dicom-tags.test.ts.

Read with pydicom 2.3.1 from Debian bookworm (apt-get install python3-pydicom), not with GDCM:
for every keyword in src/ops/image/io/dicom-keywords.ts, pydicom's data dictionary entry (tag and
VR) and the value in each fixture file. Values are written the way fuseflow types them: numbers
for DS/IS/US, strings (surrounding spaces removed) otherwise, lists for several values, null for
an absent or empty attribute. A series' values come from its slice lowest along the normal.
Run from the repository root:

    /usr/bin/python3 test/ops/image/io/dicom-tags-reference.py > test/ops/image/io/dicom-tags-reference.json
"""
import glob
import json
import os
import re

import numpy as np
import pydicom
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.multival import MultiValue

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..')
TABLE = open(os.path.join(ROOT, 'src/ops/image/io/dicom-keywords.ts')).read()
KEYWORDS = re.findall(r"\['(\w+)', 0x[0-9A-F]{4}, 0x[0-9A-F]{4}, '\w\w'\]", TABLE)
FIXTURES = os.path.join(ROOT, 'test/fixtures/dicom')


def one(v, numeric):
    if numeric:
        f = float(v)
        return int(f) if f.is_integer() else f
    return str(v).strip()


def value(ds, keyword):
    if keyword not in ds:
        return None
    v = ds[keyword].value
    numeric = ds[keyword].VR in ('DS', 'IS', 'US', 'SS', 'US or SS')
    if v is None or (not isinstance(v, MultiValue) and str(v).strip() == ''):
        return None
    if isinstance(v, MultiValue):
        return [one(x, numeric) for x in v]
    return one(v, numeric)


def first_slice(folder):
    slices = [pydicom.dcmread(f) for f in sorted(glob.glob(os.path.join(folder, '*.dcm')))]
    o = np.array(slices[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(o[:3], o[3:])
    return min(slices, key=lambda s: float(np.dot(normal, np.array(s.ImagePositionPatient, dtype=float))))


def main():
    table = {}
    for k in KEYWORDS:
        t = tag_for_keyword(k)
        table[k] = [t >> 16, t & 0xFFFF, dictionary_VR(t)]
    files = {'series-mr-brain': first_slice(os.path.join(FIXTURES, 'series-mr-brain'))}
    for name in ['CT_small.dcm', 'MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_bigendian.dcm']:
        files['single/' + name] = pydicom.dcmread(os.path.join(FIXTURES, 'single', name))
    out = {
        'table': table,
        'files': {name: {k: value(ds, k) for k in KEYWORDS} for name, ds in files.items()},
        'seriesFirstFile': os.path.basename(files['series-mr-brain'].filename),
    }
    print(json.dumps(out, indent=1))


main()
