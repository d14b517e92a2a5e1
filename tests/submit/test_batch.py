"""Telescope.submit_missing (the monitoring batch) against the simulator.

Names resolve through a local Sesame stand-in or not at all: nothing here
leaves this machine.
"""
import re

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import QTable, Table

from telescope_query import LowAltitudeWarning
from telescope_query.core import TelescopeClass
from telescope_query.submit.batch import COLUMNS
from telescope_query.submit.target import format_objectid
from telescope_query.protocol import site

from helpers import SET, SUBMIT, made, unique

pytestmark = pytest.mark.usefixtures('no_internet')


def rows_by_target(table: Table) -> dict:
    return {row['target']: row for row in table}


def test_queued_targets_are_left_alone_and_the_rest_submitted(telescope, simulator):
    by_name = unique('Mira')
    queued_rid = telescope.submit('19:50:33.9 +32:54:50', name=by_name)
    near_rid = telescope.submit('18:00:00 +20:00:00', name=unique('Near'))
    new = '03:00:00 +10:00:00'
    never = '12:00:00 -75:00:00'
    targets = ['  ' + by_name.upper().replace(' ', '  '),   # case and spaces ignored
               '18:00:00.1 +20:00:02',                       # 2.5 arcsec away
               new, never]
    simulator.counters.reset()
    table = telescope.submit_missing(targets)
    assert table.colnames == ['target', 'action', 'rid', 'message']
    assert list(table['action']) == ['queued', 'queued', 'submitted', 'failed']
    assert table['rid'][0] == queued_rid and table['rid'][1] == near_rid
    assert 'never rises' in table['message'][3] and np.ma.is_masked(table['rid'][3])
    assert simulator.counters[SUBMIT] == 1
    row = telescope.get_request_details(table['rid'][2])[0]
    assert row['object_id'] == '03:00:00.00 +10:00:00.00'
    assert row['telescope'] == 'COAST' and row['filter'] == 'BVR' and row['exposure'] == 60
    assert len(made(simulator, by_name)) == 1


def test_names_are_resolved_only_when_not_queued(telescope, simulator, sesame):
    # The shared archive may hold these stars in its queue (generated requests,
    # earlier tests): start from an empty queue so that only this test's state counts.
    simulator.complete_queue('demo')
    telescope.submit('21:42:42.9 +43:35:10', name='CH Cyg')    # queued under the name
    sesame.clear()
    table = telescope.submit_missing(['ch cyg', 'EQ Lyr', 'No Such Star'],
                                     exposure=3 * u.min, telescope='PIRATE', filter='B')
    rows = rows_by_target(table)
    assert rows['ch cyg']['action'] == 'queued'
    assert rows['EQ Lyr']['action'] == 'submitted'
    assert rows['No Such Star']['action'] == 'failed'
    assert 'pass coordinates' in rows['No Such Star']['message']
    assert sesame == ['EQ Lyr', 'No Such Star']             # CH Cyg never asked for
    request = simulator.archive.request('demo', int(rows['EQ Lyr']['rid']))
    assert request.object_name == 'EQ Lyr' and request.telescope_id == 7
    assert request.filter_type == 'Blue' and request.exposure_ms == 180000
    assert request.object_id == format_objectid(SkyCoord(283.92892, 39.88261, unit='deg'))
    # The next run finds it queued.
    again = telescope.submit_missing(['EQ Lyr'], telescope='PIRATE')
    assert again['action'][0] == 'queued' and again['rid'][0] == rows['EQ Lyr']['rid']


def test_offline_names_fail_with_advice_and_send_nothing(telescope, simulator):
    name = unique('Offline star')
    simulator.counters.reset()
    table = telescope.submit_missing([name])
    assert table['action'][0] == 'failed'
    assert 'pass coordinates' in table['message'][0]
    assert simulator.counters[SET] == 0 and simulator.counters[SUBMIT] == 0


def test_table_with_per_target_settings(telescope, simulator):
    targets = Table({'target': ['01:00:00 +30:00:00', '02:00:00 +30:00:00',
                                '04:00:00 +30:00:00'],
                     'exposure': [30, 120, 45] * u.s,
                     'filter': ['V', 'Colour', 'r'],
                     'comment': ['first', 'second', 'third']})
    table = telescope.submit_missing(targets, telescope='PIRATE')
    assert list(table['action']) == ['submitted'] * 3
    got = [simulator.archive.request('demo', int(rid)) for rid in table['rid']]
    assert [r.filter_type for r in got] == ['Green', 'Colour', 'Red']
    assert [r.exposure_ms for r in got] == [30000, 120000, 45000]
    assert [r.comments for r in got] == ['first', 'second', 'third']
    assert all(r.telescope_id == 7 for r in got)


def test_table_masked_cells_take_the_defaults(telescope, simulator):
    targets = Table({'target': ['05:00:00 +31:00:00', '05:10:00 +31:00:00'],
                     'exposure': np.ma.array([20.0, 0.0], mask=[False, True])},
                    masked=True)
    table = telescope.submit_missing(targets, exposure=90 * u.s)
    got = [simulator.archive.request('demo', int(rid)) for rid in table['rid']]
    assert [r.exposure_ms for r in got] == [20000, 90000]


def test_bad_rows_fail_alone(telescope, simulator):
    targets = Table({'target': ['06:00:00 +31:00:00', '06:10:00 +31:00:00',
                                '06:20:00 +31:00:00'],
                     'filter': ['V', 'Ha', 'B'],
                     'exposure': [10, 10, 10000]})
    simulator.counters.reset()
    table = telescope.submit_missing(targets)
    assert list(table['action']) == ['submitted', 'failed', 'failed']
    assert 'filter' in table['message'][1] and 'exposure' in table['message'][2]
    assert simulator.counters[SUBMIT] == 1


def test_server_refusal_of_one_target(telescope, simulator, monkeypatch):
    monkeypatch.setitem(site.MAX_EXPOSURE_S, 'COAST', 20 * 60.0)
    targets = Table({'target': ['07:00:00 +31:00:00', '07:10:00 +31:00:00'],
                     'exposure': [15 * 60, 60]})
    table = telescope.submit_missing(targets)
    assert list(table['action']) == ['failed', 'submitted']
    assert "the exposure is outside the telescope's range" in table['message'][0]
    assert 'ERR_' not in table['message'][0]


def test_dry_run_reports_without_submitting(telescope, simulator):
    queued = telescope.submit('08:00:00 +31:00:00', name=unique('Dry'))
    before = len(simulator.archive.requests('demo'))
    simulator.counters.reset()
    table = telescope.submit_missing(['08:00:00 +31:00:00', '08:30:00 +31:00:00',
                                      '08:40:00 -80:00:00'], dry_run=True)
    assert list(table['action']) == ['queued', 'would submit', 'failed']
    assert table['rid'][0] == queued and np.ma.is_masked(table['rid'][1])
    assert simulator.counters[SET] == 0 and simulator.counters[SUBMIT] == 0
    assert len(simulator.archive.requests('demo')) == before


def test_repeated_target_is_submitted_once(telescope, simulator):
    target = '09:00:00 +31:00:00'
    table = telescope.submit_missing([target, SkyCoord('09h00m00s +31d00m00s')])
    assert list(table['action']) == ['submitted', 'queued']
    assert table['rid'][0] == table['rid'][1]
    assert table['target'][1] == '09:00:00.00 +31:00:00.00'


def test_completed_requests_do_not_count_as_queued(login_as, simulator):
    alice = login_as('alice')
    name = unique('Done')
    first = alice.submit('10:00:00 +31:00:00', name=name)
    simulator.complete_queue('alice')
    table = alice.submit_missing([name], dry_run=True)
    assert table['action'][0] == 'failed'        # the name is not resolvable offline
    table = alice.submit_missing(['10:00:00 +31:00:00'])
    assert table['action'][0] == 'submitted' and table['rid'][0] != first


def test_low_targets_are_submitted_with_the_warning_in_the_message(telescope):
    with pytest.warns(LowAltitudeWarning):
        table = telescope.submit_missing(['11:00:00 -50:00:00'])
    assert table['action'][0] == 'submitted'
    assert 'never gets higher' in table['message'][0]


@pytest.mark.parametrize('kwargs, error, match', [
    ({'telescope': 'Galaxy'}, ValueError, 'retired'),
    ({'filter': 'Ha'}, ValueError, 'filter'),
    ({'exposure': -1}, ValueError, 'exposure'),
    ({'dry_run': 'yes'}, TypeError, 'dry_run'),
    ({'targets': []}, ValueError, 'empty'),
    ({'targets': 'SS Cyg'}, TypeError, 'list of targets'),
    ({'targets': Table({'comment': ['x']})}, ValueError, "'target'"),
    ({'targets': Table({'target': ['12:00:00 +31:00:00'], 'ra': [1.0]})}, ValueError,
     "'ra' that is not read"),
    ({'dark_frame': 'no'}, TypeError, 'dark_frame'),
])
def test_bad_arguments_send_nothing(telescope, simulator, kwargs, error, match):
    arguments = {'targets': ['12:00:00 +31:00:00'], **kwargs}
    simulator.counters.reset()
    with pytest.raises(error, match=match):
        telescope.submit_missing(arguments.pop('targets'), **arguments)
    assert simulator.counters.total() == 0


# --- Every column of a table is honoured --------------------------------------------------

def test_every_column_is_honoured_whatever_its_case(telescope, simulator):
    # The front door's case: a row asking for PIRATE, Colour and a name was
    # submitted as COAST/BVR under its coordinates.
    names = [unique('Pirate row'), unique('Coast row'), unique('Defaults row')]
    targets = Table({'Target': ['13:00:00 +35:00:00', '13:10:00 +35:00:00',
                                '13:20:00 +35:00:00'],
                     'NAME': names,
                     'Telescope': ['PIRATE', 'coast', ''],
                     'filter': ['Colour', 'V', ''],
                     'Exposure': np.ma.array([45.0, 120.0, 0.0], mask=[False, False, True]),
                     'comment': ['one', 'two', ''],
                     'Dark_Frame': ['no', 'yes', '']}, masked=True)
    table = telescope.submit_missing(targets, exposure=30, telescope='COAST', filter='R',
                                     dark_frame=True)
    assert list(table['action']) == ['submitted'] * 3, list(table['message'])
    got = [simulator.archive.request('demo', int(rid)) for rid in table['rid']]
    assert [r.object_name for r in got] == names
    assert [r.telescope_id for r in got] == [7, 6, 6]
    assert [r.filter_type for r in got] == ['Colour', 'V', 'R']
    assert [r.exposure_ms for r in got] == [45000, 120000, 30000]
    assert [r.comments for r in got] == ['one', 'two', '']
    assert [r.dark_frame for r in got] == [False, True, True]
    assert [r.object_id for r in got] == ['13:00:00.00 +35:00:00.00',
                                          '13:10:00.00 +35:00:00.00',
                                          '13:20:00.00 +35:00:00.00']


@pytest.mark.parametrize('minute, cell, sent', [
    (0, True, True), (1, False, False), (2, 'no', False), (3, 'YES', True),
    (4, 'false', False), (5, 0, False), (6, 1, True), (7, '1', True)])
def test_dark_frame_cells(telescope, simulator, minute, cell, sent):
    table = telescope.submit_missing(Table({'target': [f'14:0{minute}:00 +36:00:00'],
                                            'name': [unique('Dark')],
                                            'dark_frame': [cell]}))
    assert table['action'][0] == 'submitted'
    assert simulator.archive.request('demo', int(table['rid'][0])).dark_frame is sent


def test_a_bad_cell_fails_its_row_alone(telescope, simulator):
    targets = Table({'target': ['14:10:00 +37:00:00', '14:20:00 +37:00:00',
                                '14:30:00 +37:00:00', '14:40:00 +37:00:00'],
                     'telescope': ['COAST', 'Hubble', 'COAST', 'PIRATE'],
                     'filter': ['V', 'V', 'V', 'Ha'],
                     'dark_frame': ['yes', 'yes', 'maybe', 'yes']})
    simulator.counters.reset()
    table = telescope.submit_missing(targets)
    assert list(table['action']) == ['submitted', 'failed', 'failed', 'failed']
    assert 'telescope' in table['message'][1] and 'dark_frame' in table['message'][2]
    assert 'filter' in table['message'][3]
    assert simulator.counters[SUBMIT] == 1


@pytest.mark.parametrize('columns, named', [
    ({'target': ['1'], 'priority': [1]}, "'priority'"),
    ({'target': ['1'], 'Exposure_s': [1]}, "'Exposure_s'"),
    ({'target': ['1'], 'ra': [1.0], 'dec': [2.0]}, "'ra'"),
])
def test_an_unknown_column_is_an_error_before_anything_is_sent(telescope, simulator, columns,
                                                                named):
    simulator.counters.reset()
    with pytest.raises(ValueError, match=named) as info:
        telescope.submit_missing(Table(columns))
    assert all(name in str(info.value) for name in COLUMNS)
    assert simulator.counters.total() == 0


def test_a_column_given_twice_is_an_error(telescope, simulator):
    simulator.counters.reset()
    with pytest.raises(ValueError, match="'Name' and 'name'"):
        telescope.submit_missing(Table({'target': ['1'], 'Name': ['a'], 'name': ['b']}))
    assert simulator.counters.total() == 0


def test_a_row_without_a_target_is_an_error_naming_it(telescope, simulator):
    simulator.counters.reset()
    with pytest.raises(ValueError, match='row 2 has no target'):
        telescope.submit_missing(Table({'target': ['15:00:00 +30:00:00', '  ']}))
    assert simulator.counters.total() == 0


def test_a_table_of_names_alone_submits_them_by_name(login_as, simulator, sesame):
    alice = login_as('alice')       # her queue, emptied: demo's listings stay as they are
    simulator.complete_queue('alice')
    table = alice.submit_missing(Table({'name': ['SS Cyg'], 'telescope': ['PIRATE']}))
    assert table['action'][0] == 'submitted' and sesame == ['SS Cyg']
    request = simulator.archive.request('alice', int(table['rid'][0]))
    assert request.object_name == 'SS Cyg' and request.telescope_id == 7


def test_the_name_column_finds_a_queued_request(telescope, simulator):
    name = unique('Queued by name')
    rid = telescope.submit('16:00:00 +30:00:00', name=name)
    table = telescope.submit_missing(Table({'target': ['16:30:00 +31:00:00'],
                                            'name': [name]}))
    assert list(table['action']) == ['queued'] and table['rid'][0] == rid


@pytest.mark.parametrize('table_class', [Table, QTable])
def test_an_exposure_column_with_a_unit_is_read_in_it(telescope, simulator, table_class):
    # A QTable's cells are Quantities already: its unit must not apply twice.
    dec = 31 if table_class is Table else 32
    targets = table_class({'target': [f'17:00:00 +{dec}:00:00', f'17:10:00 +{dec}:00:00'],
                           'exposure': [1.5, 0.5] * u.min})
    table = telescope.submit_missing(targets)
    assert list(table['action']) == ['submitted', 'submitted'], list(table['message'])
    assert [simulator.archive.request('demo', int(rid)).exposure_ms
            for rid in table['rid']] == [90000, 30000]


def test_exposure_cells_as_text(telescope, simulator):
    targets = Table({'target': ['17:00:00 +30:00:00', '17:10:00 +30:00:00',
                                '17:20:00 +30:00:00'],
                     'exposure': ['90', '2 min', 'long']})
    table = telescope.submit_missing(targets)
    assert list(table['action']) == ['submitted', 'submitted', 'failed']
    assert [simulator.archive.request('demo', int(rid)).exposure_ms
            for rid in table['rid'][:2]] == [90000, 120000]
    assert 'exposure' in table['message'][2]


def test_the_docstring_and_the_help_list_the_same_columns():
    from telescope_query.cli.parser import build_parser
    doc = TelescopeClass.submit_missing.__doc__
    listed = set(re.findall(r'^\s+``(\w+)``\s{2,}', doc, re.M))
    assert listed == set(COLUMNS)
    parser = build_parser()
    action = next(a for a in parser._subparsers._group_actions
                  if 'submit-missing' in a.choices)
    help_text = action.choices['submit-missing'].format_help()
    for name in COLUMNS:
        assert re.search(rf'^  {name}\s', help_text, re.M), name


def test_a_row_with_too_short_an_exposure_fails_saying_the_range(telescope, simulator):
    targets = Table({'target': ['17:30:00 +30:00:00', '17:40:00 +30:00:00'],
                     'exposure': [0.05, 30]})
    table = telescope.submit_missing(targets)
    assert list(table['action']) == ['failed', 'submitted']
    assert table['message'][0].startswith('exposure 0.05 s is too short: must be a time '
                                          'from 0.1 s to 180 s on COAST')


def test_an_ambiguous_row_is_not_sent_again_and_says_so(telescope, simulator):
    simulator.faults.add('http_error', endpoint=SUBMIT, status=503, count=1)
    names = [unique('Ambiguous row'), unique('Next row')]
    simulator.counters.reset()
    table = telescope.submit_missing(Table({'target': ['17:50:00 +30:00:00',
                                                      '17:55:00 +30:00:00'], 'name': names}))
    assert list(table['action']) == ['ambiguous', 'submitted']
    assert 'may still make it' in table['message'][0] and np.ma.is_masked(table['rid'][0])
    assert simulator.counters[SUBMIT] == 2 and made(simulator, names[0]) == []
