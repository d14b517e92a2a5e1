"""Pure tests of the legacy request-constructor.php form flow (no server)."""
import pytest

from telescope_query.exceptions import SubmissionError
from telescope_query.protocol import request_form as rf


PAGE = """<html><body><form method="post" action="request-constructor.php">
<input type="text" name="ticketing" value="9">
<input type="hidden" name="ticket" value="{ticket}">
<input type="submit" name="action" value="main-go-part1"></form></body></html>"""


def test_ticket_is_read_from_the_hidden_input():
    assert rf.extract_ticket(PAGE.format(ticket=123456)) == 123456
    assert rf.extract_ticket('<INPUT NAME="ticket" TYPE="HIDDEN" VALUE=" 42 ">') == 42


@pytest.mark.parametrize('html', [
    '<html><form><input name="username"><input name="password"></form></html>',
    '<input type="text" name="ticket" value="5">',      # not hidden
    '<input type="hidden" name="ticket" value="">',     # no value
    '<input type="hidden" name="ticket" value="abc">',  # not an integer
    '',
])
def test_missing_ticket_is_a_clear_error(html):
    with pytest.raises(SubmissionError, match="did not offer the next step after saving "
                                              "the telescope") as info:
        rf.extract_ticket(html, 'part2-save')
    assert info.value.status == 'NO_TICKET' and 'ticket' not in str(info.value)


@pytest.mark.parametrize('step', ['new'] + [step['action'] for step in rf.form_steps(
    object_id='20:42:59.60 +41:35:10.00', object_name='X', telescope_id=6, exposure_ms=1000,
    dark_frame=True, filter='B', comment='')[:-1]] + ['an-action-never-seen'])
def test_a_missing_ticket_names_the_step_in_words_not_the_sites(step):
    # The step's action is the site's token ('part1-radec-save'): never shown.
    with pytest.raises(SubmissionError, match=r'did not offer the next step after \w') as info:
        rf.extract_ticket('', step)
    assert repr(step) not in str(info.value) and '-' not in str(info.value)


@pytest.mark.parametrize('object_id, fields', [
    ('20:42:59.60 +41:35:10.00', ('20', '42', '59', '60', '+41', '35', '10', '00')),
    ('00:00:00.00 -05:00:00.00', ('00', '00', '00', '00', '-05', '00', '00', '00')),
    ('12:00:00.00 -00:30:00.50', ('12', '00', '00', '00', '-00', '30', '00', '50')),
])
def test_radec_fields(object_id, fields):
    names = ('raHours', 'raMins', 'raSecs', 'raFract',
             'decDegrees', 'decMins', 'decSecs', 'decFract')
    assert rf.radec_fields(object_id) == dict(zip(names, fields))


@pytest.mark.parametrize('bad', ['20:42:59.6 +41:35:10', '20:42:59.60 41:35:10.00', 'SS Cyg'])
def test_radec_fields_need_the_site_form(bad):
    with pytest.raises(ValueError, match='object_id'):
        rf.radec_fields(bad)


def test_form_steps_in_order_with_their_fields():
    steps = rf.form_steps(object_id='12:00:00.00 -00:30:00.50', object_name='Test star',
                          telescope_id=7, exposure_ms=30000, dark_frame=False,
                          filter='Colour', comment='AutoSubmit')
    assert [s['action'] for s in steps] == [
        'main-go-part1', 'part1-go-radec', 'part1-radec-save', 'main-go-part2',
        'part2-save', 'main-go-part3', 'part3-save', 'main-submit']
    assert all('ticket' not in s for s in steps)
    radec = steps[2]
    assert radec['decDegrees'] == '-00' and radec['decFract'] == '50'
    assert radec['newObjectName'] == 'Test star'
    assert steps[4] == {'action': 'part2-save', 'submittype': 'Save',
                        'newTelescopeSelection': '7'}
    assert steps[6] == {'action': 'part3-save', 'submittype': 'Save',
                        'newExposureTime': '30000', 'newDarkFrame': '0',
                        'newFilterSelection': 'Colour', 'newRequestComments': 'AutoSubmit'}
    dark = rf.form_steps(object_id='12:00:00.00 +10:00:00.00', object_name='x',
                         telescope_id=6, exposure_ms=1, dark_frame=True, filter='BVR',
                         comment='')
    assert dark[6]['newDarkFrame'] == '1'


def test_submitted_rid_from_the_final_page():
    done = ('<html><body><p>Your request <a href="v4request-view.php?rid=770812">R770812</a>'
            ' has been submitted.</p></body></html>')
    assert rf.parse_submitted_rid(done) == 770812
    assert rf.parse_submitted_rid('<a href="v4request-view.php?x=1&rid=12&y=2">R12</a>') == 12
    # No link, another link, or the form back again (nothing submitted): None.
    assert rf.parse_submitted_rid('<p>Thank you.</p>') is None
    assert rf.parse_submitted_rid('<a href="v3job-view.php?jid=5">J5</a>') is None
    assert rf.parse_submitted_rid(PAGE.format(ticket=7) + done) is None


def test_page_error_text():
    page = '<p class="error">Still to be set:\n exposure.</p>' + PAGE.format(ticket=3)
    assert rf.page_error(page) == 'Still to be set: exposure.'
    assert rf.page_error(PAGE.format(ticket=3)) is None
