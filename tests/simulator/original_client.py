"""A small re-implementation of the original telescope.org library's HTTP behaviour.

Written from PROTOCOL.md and the original's documentation
(seed-telescope-api.txt) alone, to prove that the simulator reads to the old
client as the live site did. It keeps the original's names, return shapes
and habits (the 100-then-rest listing, words 4-8 of the completion time, the
rid cell minus its first character, polling until exactly ``READY``, a size
check that returns None on a mismatch, a doubled slash before
``request-constructor.php``). Two deliberate differences, both noted where
they are: the poll interval is configurable (0 in tests), and ``logout``
really sends ``logout.php`` (the original's inverted test never did).

It imports nothing from telescope_query.
"""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from bs4 import BeautifulSoup

REQUESTSTATUS_TEXTS = {
    1: 'New', 2: 'New, allocated', 3: 'Waiting', 4: 'In progress', 5: 'Reallocate',
    6: 'Waiting again', 7: 'Complete on site', 8: 'Complete', 9: 'Hold', 10: 'Frozen',
    20: 'Expired', 21: 'Expired w/CJobs', 22: 'Cancelled', 23: 'Cancelled w/CJobs',
    24: 'Invalid', 25: 'Never rises', 26: 'Other error'}

TELESCOPE_IDS = {'constellation': 1, 'galaxy': 2, 'cluster': 3, 'planet': 5, 'coast': 6,
                 'pirate': 7}


class Telescope:
    """The original ``Telescope`` class, reduced to its HTTP behaviour."""

    REQUESTSTATUS_TEXTS = REQUESTSTATUS_TEXTS

    def __init__(self, user: str, passwd: str, url: str = 'https://www.telescope.org/',
                 *, poll_interval: float = 2.0, max_polls: int = 31,
                 processed_tries: int = 4, processed_interval: float = 15.0) -> None:
        self.user, self.passwd, self.url = user, passwd, url
        self.poll_interval, self.max_polls = poll_interval, max_polls
        self.processed_tries, self.processed_interval = processed_tries, processed_interval
        self.s = requests.Session()
        self.login()

    # -- session ----------------------------------------------------------------------
    def login(self) -> None:
        """POST login.php; success is known only from later calls."""
        self.s.post(self.url + 'login.php', data={
            'action': 'login', 'username': self.user, 'password': self.passwd,
            'stayloggedin': 'true'})

    def logout(self) -> None:
        # The original tested the wrong way round and never sent this.
        self.s.post(self.url + 'logout.php')

    def do_api_call(self, module: str, request: str, params: dict | None = None) -> dict:
        """POST api-user.php; an empty ``{}`` params is passed as a dict, which
        `requests` drops from the form (the field is then absent)."""
        params = params or {}
        data = {'module': module, 'request': request,
                'params': json.dumps(params) if params else {}}
        return self.s.post(self.url + 'api-user.php', data=data).json()

    # -- request manager --------------------------------------------------------------
    def get_user_folders(self) -> list[dict]:
        return self.do_api_call('request-manager', '0-get-my-folders')['data']

    def get_user_requests(self, folder: int = 1, sort: str = 'rid') -> list[dict]:
        """The first 100, then always a second call for the rest (maybe limit 0)."""
        first = self.do_api_call('request-manager', '1-get-list-own',
                                 {'limit': 100, 'sort': sort, 'folderid': folder})['data']
        total = int(first['totalRequests'])
        reqs = list(first['requests'])
        rest = self.do_api_call('request-manager', '1-get-list-own',
                                {'limit': total - len(reqs), 'sort': sort,
                                 'folderid': folder, 'startAfterRow': len(reqs)})['data']
        return reqs + list(rest['requests'])

    # -- views ------------------------------------------------------------------------
    def _view(self, query: str) -> BeautifulSoup:
        answer = self.s.post(self.url + 'v4request-view.php?' + query)
        return BeautifulSoup(answer.text, 'html.parser')

    @staticmethod
    def _cells(soup: BeautifulSoup, labels: dict[str, str]) -> dict[str, str]:
        """For each label, the text of the cell after the first cell containing it."""
        tds = soup.find_all('td')
        found = {}
        for key, label in labels.items():
            for index, td in enumerate(tds[:-1]):
                if label in td.get_text():
                    found[key] = tds[index + 1].get_text()
                    break
        return found

    def get_jid_for_req(self, req: Any = None) -> int | bool:
        """The job id of a completed request (from the var info line), else False."""
        rid = req['id'] if isinstance(req, dict) else req
        answer = self.s.post(self.url + f'v4request-view.php?rid={rid}')
        for line in answer.text.splitlines():
            if line.startswith('var info = '):
                info = json.loads(line[line.index('{'):line.rindex('}') + 1])
                return int(info['jid'])
        return False

    def get_request(self, rid: int | None = None) -> dict:
        soup = self._view(f'rid={rid}')
        values = self._cells(soup, {
            'jid': 'Job ID', 'type': 'Object Type', 'oid': 'Object ID',
            'name': 'Object Name', 'tele': 'Telescope Type Name',
            'telname': 'Telescope Name', 'filter': 'Filter Type', 'dark': 'Dark Frame',
            'exp': 'Exposure Time', 'reqtime': 'Request Time',
            'completion': 'Completion Time', 'status': 'Status'})
        obs = {'rid': rid, **values}
        if 'jid' in obs:
            obs['jid'] = obs['jid'][1:]
        for link in soup.find_all('a'):
            href = link.get('href', '')
            if 'flat' in href:
                obs['flatid'] = int(href.split('=', 1)[1])
        return obs

    def get_job(self, jid: int | None = None) -> dict:
        soup = self._view(f'jid={jid}')
        values = self._cells(soup, {
            'rid': 'Request ID', 'type': 'Object Type', 'oid': 'Object ID',
            'exp': 'Exposure Time', 'filter': 'Filter Type',
            'tele': 'Telescope Type Name', 'completion': 'Completion Time',
            'status': 'Status'})
        obs = {'jid': jid}
        obs['rid'] = values['rid'][1:]
        for key in ('type', 'oid', 'exp', 'filter', 'tele'):
            obs[key] = values[key]
        obs['completion'] = values['completion'].split()[3:8]
        obs['status'] = values['status'] == 'Success'
        for button in soup.find_all('button'):
            onclick = button.get('onclick', '')
            if 'flat' in onclick:
                obs['flatid'] = int(onclick.split('=')[-1].strip("'"))
        return obs

    # -- job search ---------------------------------------------------------------------
    def get_obs_list(self, t: float | None = None, dt: int = 1, filtertype: str = '',
                     camera: str = '', hour: int = 16, minute: int = 0,
                     verb: bool = False) -> list[int]:
        """Jobs of the ``dt`` days ending at ``hour:minute`` UTC of the day of ``t``."""
        end = datetime.fromtimestamp(time.time() if t is None else t, timezone.utc)
        end = end.replace(hour=hour, minute=minute, second=0, microsecond=0)
        start = end - timedelta(days=dt)

        def parts(when: datetime) -> list[str]:
            return [str(when.day), str(when.month), str(when.year), str(when.hour),
                    str(when.minute)]

        answer = self.s.post(self.url + 'v3job-search-query.php', data={
            'sort1': 'completetime', 'sort1order': 'desc',
            'searchearliestcom[]': parts(start), 'searchlatestcom[]': parts(end),
            'searchstatus[]': '1', 'resultsperpage': '1000', 'searchfilter': filtertype,
            'searchtelescope': camera, 'submit': 'Go'})
        soup = BeautifulSoup(answer.text, 'html.parser')
        if verb:
            for h3 in soup.find_all('h3'):
                if 'Parameters' in h3.get_text():
                    print('Params:')
                    print(h3.find_next_sibling().get_text().strip())
        jobs = []
        for tr in soup.find_all('tr'):
            link = tr.find('a')
            href = link.get('href', '') if link is not None else ''
            position = href.find('jid=')
            if position > 0:
                jobs.append(int(href[position + 4:].split('&')[0]))
        return jobs

    # -- image engine ---------------------------------------------------------------------
    def download_obs(self, obs: dict | None = None, directory: str = '.', cube: bool = True,
                     pbar: bool = False, verbose: bool = False) -> str | None:
        """Stage, poll until READY, download, and check the size; None on a mismatch."""
        params = {'jid': obs['jid']}
        if obs.get('flatid'):
            params['flatid'] = obs['flatid']
        rq = self.do_api_call('image-engine', '0-create-dl3d' if cube else '0-create-dlzip',
                              params)
        if verbose:
            print(rq['status'])
        ieid = rq['data']['ieID']
        status = rq['status']
        for _ in range(self.max_polls):
            if status == 'READY':
                break
            time.sleep(self.poll_interval)
            rq = self.do_api_call('image-engine', '0-is-job-ready', {'ieid': ieid})
            status = rq['status']
            if verbose:
                print(status)
        else:
            return None
        size = int(rq['data']['fitssize'] if cube else rq['data']['fitsbzsize'])
        fname = f"{obs['jid']}.{'fits' if cube else 'zip'}"
        path = os.path.join(directory, fname)
        written = 0
        try:
            with self.s.get(self.url + 'v3image-download.php', stream=True,
                            params={'jid': obs['jid'], 'ieid': ieid}) as answer:
                with open(path, 'wb') as out:
                    for chunk in answer.iter_content(65536):
                        written += out.write(chunk)
        except requests.exceptions.RequestException:
            pass  # what arrived is checked below
        if written != size:
            os.unlink(path)
            return None
        return fname

    def download_obs_processed(self, obs: dict | None = None, directory: str = '.',
                               cube: bool = False, pbar: bool = False) -> str | None:
        """The artefact-corrected product through the iframe of imageengine-request.php."""
        for attempt in range(self.processed_tries):
            if attempt:
                time.sleep(self.processed_interval)
            page = self.s.get(self.url + 'imageengine-request.php',
                              params={'jid': obs['jid'], 'type': 1 if cube else 3})
            frame = BeautifulSoup(page.text, 'html.parser').find('iframe')
            if frame is not None:
                break
        else:
            return None
        fname = f"art_{obs['jid']}.{'fits' if cube else 'zip'}"
        answer = self.s.get(self.url + frame['src'])
        with open(os.path.join(directory, fname), 'wb') as out:
            out.write(answer.content)
        return fname

    # -- submission -----------------------------------------------------------------------
    @staticmethod
    def _radec(obj: Any) -> tuple[str, str]:
        from astropy import units as u
        ra = obj.ra.to_string(unit=u.hour, sep=':', precision=2, pad=True)
        dec = obj.dec.to_string(unit=u.deg, sep=':', precision=2, pad=True, alwayssign=True)
        return ra, dec

    def submit_job_api(self, obj: Any, exposure: int = 30000, tele: str = 'COAST',
                       filt: str = 'BVR', darkframe: bool = True, name: str = 'RaDec object',
                       comment: str = 'AutoSubmit') -> dict:
        """The request basket: clear, set, submit. Returns the submit answer."""
        ra, dec = self._radec(obj)
        self.do_api_call('request-constructor', '0-rb-clear')
        self.do_api_call('request-constructor', '0-rb-set', {
            'telescopeid': TELESCOPE_IDS[tele.lower()], 'telescopetype': 2,
            'exposuretime': exposure, 'filtertype': filt, 'objecttype': 'RADEC',
            'objectname': name, 'objectid': f'{ra} {dec}', 'usercomments': comment})
        return self.do_api_call('request-constructor', '0-rb-submit')

    def submit_RADEC_job(self, obj: Any, exposure: int = 30000, tele: str = 'COAST',
                         filt: str = 'BVR', darkframe: bool = True,
                         name: str = 'RaDec object', comment: str = 'AutoSubmit'
                         ) -> requests.Response:
        """The legacy form flow, ticket by ticket. Returns the last answer."""
        ra, dec = self._radec(obj)
        ra_h, ra_m, ra_s = ra.split(':')
        dec_d, dec_m, dec_s = dec.split(':')
        ra_s, ra_f = ra_s.split('.')
        dec_s, dec_f = dec_s.split('.')
        constructor = self.url + '/request-constructor.php'  # the original's '//'
        answer = self.s.get(constructor, params={'action': 'new'})
        for step in (
                {'action': 'main-go-part1'},
                {'action': 'part1-go-radec'},
                {'action': 'part1-radec-save', 'raHours': ra_h, 'raMins': ra_m,
                 'raSecs': ra_s, 'raFract': ra_f, 'decDegrees': dec_d, 'decMins': dec_m,
                 'decSecs': dec_s, 'decFract': dec_f, 'newObjectName': name},
                {'action': 'main-go-part2'},
                {'action': 'part2-save', 'submittype': 'Save',
                 'newTelescopeSelection': str(TELESCOPE_IDS[tele.lower()])},
                {'action': 'main-go-part3'},
                {'action': 'part3-save', 'submittype': 'Save',
                 'newExposureTime': str(exposure), 'newDarkFrame': '1' if darkframe else '0',
                 'newFilterSelection': filt, 'newRequestComments': comment},
                {'action': 'main-submit'}):
            field = BeautifulSoup(answer.text, 'html.parser').find(
                'input', attrs={'type': 'hidden', 'name': 'ticket'})
            answer = self.s.post(constructor, data={'ticket': field['value'], **step})
            answer.raise_for_status()
        return answer
