"""The argument structure of ``telescope-query``: sub-commands, options, help texts.

Only argparse here: no client, no HTTP, so ``--help`` and usage errors stay fast
and testable. The shared options (``--server``, ``--user``, ``-v``/``-q``) are
accepted before or after the sub-command name, by the commands they apply to
(`TAKES`). The values are checked, before anything is sent, by `.options`.
``simulate`` is the simulator's own command line
(``python -m telescope_query.simulator``), so the two never differ.
"""
from __future__ import annotations

import argparse

from .. import arguments
from ..protocol import site
from ..simulator import __main__ as simulator_command
from ..simulator.images import MIN_IMAGE_SIZE
from .output import FORMATS

__all__ = ['build_parser', 'PROG', 'COMMON_DEFAULTS', 'COMMON_FLAGS', 'TAKES',
           'seconds', 'positive_int']

PROG = 'telescope-query'

DESCRIPTION = """\
Command line access to telescope.org, the Open University's robotic telescopes
COAST and PIRATE: list your observation requests and jobs, download their FITS
images, and submit new observations.

Listings print as aligned tables, or with --format csv|ecsv|json for scripts.
Progress and messages go to standard error; results to standard output.
Exit status: 0 success, 1 a failed operation, 2 wrong usage.
"""

EPILOG = """\
examples:
  telescope-query demo                       # everything, offline, on a simulator
  telescope-query login --user jsmith        # asks once, stores in the keyring
  telescope-query folders
  telescope-query requests --status complete --sort completion
  telescope-query requests --object "SS Cyg" --format csv > sscyg.csv
  telescope-query jobs --since 2024-11-17 --until 2024-11-18 --telescope COAST
  telescope-query show R706248
  telescope-query download J418581 J419547 --dir images
  telescope-query submit "21:42:42.80 +43:35:09.86" --exposure 60 --name "SS Cyg"
  telescope-query submit-missing monitoring.csv --dry-run
  telescope-query simulate --port 8080       # then: --server http://127.0.0.1:8080/

The password comes from the keyring (see 'login'), the environment variable
TELESCOPE_QUERY_PASSWORD, or the original library's ~/.config/telescope.ini;
in a terminal you are asked for it. It is never taken from the command line.
The server is https://www.telescope.org/ unless --server or the environment
variable TELESCOPE_QUERY_SERVER says otherwise.
"""

#: Values of the shared options when they are not given.
COMMON_DEFAULTS = {'server': None, 'user': None, 'verbose': 0, 'quiet': False}

#: The shared options as they are spelled, by the name they are stored under.
COMMON_FLAGS = {'server': '--server', 'user': '--user', 'verbose': '-v/--verbose',
                'quiet': '-q/--quiet'}

_EVERY = frozenset(COMMON_DEFAULTS)
#: The shared options each command takes: the others do nothing there, so they are
#: not offered (and refused before the command name, by `telescope_query.cli.main`).
TAKES: dict[str, frozenset[str]] = {
    **dict.fromkeys(('login', 'folders', 'requests', 'jobs', 'show', 'download', 'submit',
                     'submit-missing', 'check-site'), _EVERY),
    'logout': frozenset({'user', 'verbose', 'quiet'}),     # the keyring is per user only
    'simulate': frozenset({'quiet'}),                      # it serves; -q: no request log
    'demo': frozenset({'verbose', 'quiet'}),               # its own simulator and account
}
TAKES['times'] = _EVERY
# observable computes offline: no server, no account.
TAKES.update({'observable': frozenset({'verbose', 'quiet'}), 'wait': _EVERY, 'sync': _EVERY})

#: Why a shared option does not apply to a command, for the message.
NOT_TAKEN = {
    'logout': 'the stored password belongs to the user name, whatever the server',
    'simulate': 'it serves a simulator of its own',
    'demo': 'the demo runs on a simulator of its own, with its own account',
}


def seconds(text: str) -> float:
    """A number of seconds: what it may be (positive, at most the telescope's longest
    exposure) is checked with the API's own checks (`telescope_query.cli.options`)."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None


positive_int = simulator_command.whole_number(1)


class _RefusePassword(argparse.Action):
    """A hidden ``--password``: refuse it without echoing what followed it."""

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error('a password is never taken from the command line (it would stay in '
                     'the shell history and the process list): you are asked for it, '
                     "or use 'login --password-stdin'")


def _refuse_password() -> argparse.ArgumentParser:
    """A hidden ``--password`` on every command, refused unechoed."""
    parent = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parent.add_argument('--password', '--passwd', nargs='?', action=_RefusePassword,
                        default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parent


def _common_options(takes: frozenset[str] = _EVERY) -> argparse.ArgumentParser:
    """The shared options of a command (those it ``takes``).

    They leave no default behind: a value given before the sub-command name must
    not be overwritten by the sub-command's copy, and `telescope_query.cli.main`
    sees which were given. `COMMON_DEFAULTS` fills in the others.
    """
    parent = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    group = parent.add_argument_group('common options')
    unset = argparse.SUPPRESS
    if 'server' in takes:
        group.add_argument('--server', metavar='URL', default=unset,
                           help='base URL of the site or of a simulator '
                                '(default: TELESCOPE_QUERY_SERVER, else '
                                'https://www.telescope.org/)')
    if 'user' in takes:
        group.add_argument('--user', metavar='NAME', default=unset,
                           help='telescope.org user name (default: TELESCOPE_QUERY_USER, '
                                'else the configured username)')
    if 'verbose' in takes:
        group.add_argument('-v', '--verbose', action='count', default=unset,
                           help='say more: -v informs, -vv shows the HTTP calls; '
                                'errors come with a traceback')
    if 'quiet' in takes:
        group.add_argument('-q', '--quiet', action='store_true', default=unset,
                           help='no progress bars or messages, only results and errors')
    return parent


def _output_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parent.add_argument('--format', choices=FORMATS, default='table',
                        help='output format: aligned table for people (default), '
                             'csv, ecsv or json for scripts')
    return parent


def _add_submission_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Telescope, filter and exposure; ``defaults`` False leaves them to the targets file."""
    parser.add_argument('--exposure', type=seconds, metavar='SECONDS',
                        default=60.0 if defaults else None,
                        help='exposure time in seconds' + (' (default: 60)' if defaults
                                                           else ''))
    parser.add_argument('--telescope', metavar='NAME',
                        default='COAST' if defaults else None,
                        help='COAST or PIRATE' + (' (default: COAST)' if defaults else ''))
    parser.add_argument('--filter', metavar='NAME', default='BVR' if defaults else None,
                        help='filter, in either naming scheme: BVR/B/V/R (COAST) or '
                             'Colour/Blue/Green/Red (PIRATE), translated for the '
                             'telescope' + (' (default: BVR, three colours)'
                                            if defaults else ''))


def _simulator_options() -> argparse.ArgumentParser:
    """The simulator's own options; its ``-q/--quiet`` is the shared one (no default
    left behind, as `_common_options`)."""
    options = simulator_command.parser(add_help=False)
    for action in options._actions:
        if action.dest == 'quiet':
            action.default = argparse.SUPPRESS
    return options


def build_parser() -> argparse.ArgumentParser:
    """The ``telescope-query`` argument parser with all its sub-commands."""
    from .. import __version__

    password = _refuse_password()
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG, allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[password, _common_options()])
    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__}')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND', title='commands')
    commands.required = True
    output = _output_options()

    def command(name: str, help: str, epilog: str = '', *, listing: bool = False,
                parents: tuple[argparse.ArgumentParser, ...] = (),
                own: frozenset[str] = frozenset()):
        """A sub-command; ``own``: shared options its ``parents`` define themselves."""
        return commands.add_parser(
            name, help=help, description=help[0].upper() + help[1:] + '.',
            epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False, parents=[password, _common_options(TAKES[name] - own),
                                         *parents, *([output] if listing else [])])

    sub = command('login', 'log in once and store the password in the keyring', """\
examples:
  telescope-query login --user jsmith                 # asks for the password
  pass show telescope | telescope-query login --user jsmith --password-stdin

Other commands then log in without asking, with the stored password.""")
    sub.add_argument('--password-stdin', action='store_true',
                     help='read the password from the first line of standard input '
                          '(for scripts) instead of asking')

    command('logout', 'forget the password stored in the keyring', """\
example:
  telescope-query logout --user jsmith

Other commands then find no stored password: they use TELESCOPE_QUERY_PASSWORD
or the original library's config file if you have them, or ask.""")

    command('folders', 'list your request folders', """\
example:
  telescope-query folders --format json""", listing=True)

    sub = command('requests', 'list your observation requests', """\
examples:
  telescope-query requests                          # the Inbox, newest first
  telescope-query requests --status queued          # still waiting to be observed
  telescope-query requests --object "SS Cyg" --status complete
  telescope-query requests --sort completion --limit 10 --format csv
  telescope-query requests --status queued --details    # with telescope, filter...""", listing=True)
    sub.add_argument('--folder', default='Inbox', metavar='NAME_OR_ID',
                     help='folder name or id (default: Inbox)')
    sub.add_argument('--status', metavar='STATUS',
                     help='only requests with this status: a code (8), a status text '
                          '(Complete, Waiting, ...), "queued" (not yet observed, codes '
                          'below 8) or "complete"')
    sub.add_argument('--object', metavar='NAME',
                     help='only requests for this object (case and spaces ignored)')
    sub.add_argument('--sort', choices=site.LISTING_SORTS, default='rid',
                     help="sort order: rid (newest first, default), object, or "
                          "completion (the site's order: some requests still queued or "
                          "not yet opened first; with --details, newest completion "
                          "first)")
    sub.add_argument('--limit', type=positive_int, metavar='N',
                     help='show only the first N requests')
    sub.add_argument('--details', action='store_true',
                     help="also open each request's view for its telescope, filter, "
                          'exposure, completion and job (one page per request, said '
                          'before; views that can no longer change are cached)')

    sub = command('jobs', "search the public completed jobs of all users", """\
examples:
  telescope-query jobs                              # the last day
  telescope-query jobs --since 2024-11-17 --until "2024-11-18 16:00"
  telescope-query jobs --telescope PIRATE --filter Colour --details""", listing=True)
    sub.add_argument('--since', metavar='TIME',
                     help='earliest completion time, UTC, ISO format (default: one '
                          'day before --until)')
    sub.add_argument('--until', metavar='TIME',
                     help='latest completion time, UTC, ISO format (default: now)')
    sub.add_argument('--telescope', metavar='NAME',
                     help='only jobs of this telescope or camera (COAST, PIRATE, ...)')
    sub.add_argument('--filter', metavar='NAME', help='only jobs with this filter')
    sub.add_argument('--details', action='store_true',
                     help='open each job view too, for the object, filter, exposure... '
                          '(one page per job, said before; cached once complete)')

    sub = command('show', 'show the details of requests or jobs', """\
examples:
  telescope-query show R706248                      # a request (and its job id)
  telescope-query show J418581                      # a job
  telescope-query show --job 418581 419547""", listing=True)
    sub.add_argument('ids', nargs='+', metavar='REQUEST_OR_JOB_ID',
                     help='R123 for a request, J456 for a job; bare numbers with '
                          '--request or --job')
    kind = sub.add_mutually_exclusive_group()
    kind.add_argument('--request', dest='kind', action='store_const', const='R',
                      help='bare numbers are request ids')
    kind.add_argument('--job', dest='kind', action='store_const', const='J',
                      help='bare numbers are job ids')

    sub = command('download', "download the FITS images of jobs", """\
examples:
  telescope-query download J418581                  # 418581.fits, a 3-D cube
  telescope-query download 418581 419547 --zip --dir images
  telescope-query download J418581 --processed      # artefact-corrected

Products already in the cache are not fetched again. Prints a manifest: one
row per job with its file, status (COMPLETE, CACHED or ERROR) and size.""",
                  listing=True)
    sub.add_argument('jids', nargs='+', metavar='JOB_ID',
                     help='job ids (J418581 or 418581)')
    sub.add_argument('--zip', action='store_true',
                     help='a zip of one FITS file per filter instead of a 3-D cube')
    sub.add_argument('--processed', action='store_true',
                     help='the artefact-corrected product instead of the raw one')
    sub.add_argument('--flat', action='store_true',
                     help="the raw frames divided by the job's flat field "
                          "(369256_flat.fits): a product of its own")
    sub.add_argument('--dir', default='.', metavar='FOLDER',
                     help='where to put the files (default: the current folder)')

    sub = command('submit', 'submit a new observation request', """\
examples:
  telescope-query submit "21:42:42.80 +43:35:09.86" --exposure 60 --name "SS Cyg"
  telescope-query submit "M 31" --telescope PIRATE --filter Colour --exposure 120
  telescope-query submit "00:42:44.33 +41:16:07.5" --dry-run --format json

TARGET is coordinates (RA in hours, Dec in degrees, quoted as one argument) or a
name resolved by astropy (needs the internet). Everything is checked before
anything is sent; --dry-run shows what would be sent and sends nothing.""",
                  listing=True)
    sub.add_argument('target', metavar='TARGET',
                     help='"HH:MM:SS.s +DD:MM:SS" coordinates or an object name')
    _add_submission_options(sub, defaults=True)
    sub.add_argument('--name', metavar='TEXT',
                     help='object name shown in your request list (default: the '
                          'target name, or the coordinates)')
    sub.add_argument('--comment', default='', metavar='TEXT', help='a comment for you')
    sub.add_argument('--no-dark-frame', dest='dark_frame', action='store_false',
                     help='do not ask for a dark frame')
    sub.add_argument('--dry-run', action='store_true',
                     help='check and show what would be sent, send nothing')

    from ..submit.batch import columns_help     # the one list of the columns read
    sub = command('submit-missing', 'submit the targets of a list that are not queued',
                  """\
examples:
  telescope-query submit-missing monitoring.csv --dry-run
  telescope-query submit-missing monitoring.ecsv --exposure 120

TARGETS_FILE is a CSV or ECSV table, one row per target, with these columns
(names in any case; only 'target' or 'name' is needed; an empty cell takes
the option's value or its default):

""" + columns_help() + """

Any other column is an error, before anything is sent. Targets already waiting
in the queue are left alone; the others are submitted, as many as the queue has
free places for (conf.queue_limit). Prints one row per target: queued,
submitted, skipped (with --min-interval), waits for room, failed, ambiguous
(the answer was lost and the queue does not show the request: look before
running again), or not sent (the site said the queue is full). Exits with 1
when a row failed or is ambiguous.""",
                  listing=True)
    sub.add_argument('targets_file', metavar='TARGETS_FILE',
                     help='CSV or ECSV file of targets')
    _add_submission_options(sub, defaults=False)
    sub.add_argument('--no-dark-frame', dest='dark_frame', action='store_false',
                     help='no dark frames, for the rows without a dark_frame value')
    sub.add_argument('--dry-run', action='store_true',
                     help='report what would be submitted, submit nothing')
    sub.add_argument('--min-interval', type=float, default=None, metavar='DAYS',
                     help='skip a target whose last request completed less than DAYS '
                          'days ago (the cadence)')

    sub = command('check-site', 'check that the site answers as this client expects', """\
examples:
  telescope-query check-site
  telescope-query check-site --capture site.json     # the answers, redacted

Read-only: a handful of calls (folders, one listing page, one request view and
one job view, one job search, one image-engine staging and its polls). Prints
each protocol fact the client relies on as holds, differs (with what the site
answered) or not checked; exit status 1 when one differs. The capture holds no
cookie, password, user name or e-mail address: attach it to a bug report.""",
                  listing=True)
    sub.add_argument('--capture', metavar='FILE',
                     help='write the answers, redacted, to this JSON file')
    sub.add_argument('--download', action='store_true',
                     help='also download the staged zip (about 8 MB) to check its length')

    sub = command('simulate', 'serve a local simulator of telescope.org until Ctrl-C', """\
examples:
  telescope-query simulate --port 8080
  telescope-query simulate --accounts alice:secret bob:hunter2 --requests 5000
  telescope-query simulate --staging-seconds 5 --latency-ms 50 --now 2024-11-18T16:00

It prints its URL; point the client at it with --server URL or the environment
variable TELESCOPE_QUERY_SERVER. It serves only the loopback interface. This is
'python -m telescope_query.simulator', with the same options.""",
                  parents=(_simulator_options(),), own=frozenset({'quiet'}))

    sub = command('demo', 'run a narrated tour of the package on a built-in simulator', """\
example:
  telescope-query demo --dir /tmp/tour --requests 500 --size 256

Needs no account and no network: it starts a simulator on a free loopback port,
logs in, lists, downloads a cube, writes a colour preview PNG and submits a
request. Files go to FOLDER (default: ./telescope-demo).""")
    sub.add_argument('--dir', default='telescope-demo', metavar='FOLDER',
                     help='where to write the demo files (default: ./telescope-demo)')
    sub.add_argument('--requests', type=positive_int, default=2000, metavar='N',
                     help='size of the simulated archive (default: 2000)')
    sub.add_argument('--size', '--image-size', dest='image_size',
                     type=simulator_command.whole_number(MIN_IMAGE_SIZE), default=512,
                     metavar='PIXELS', help='side of the simulated images in pixels '
                                            f'(default: 512; at least {MIN_IMAGE_SIZE})')

    # --- frames ready for science ---
    sub = command('times', "when each frame of jobs was taken (for light curves)", """\
examples:
  telescope-query times J418581                     # filter, start, mid, exposure
  telescope-query times J418581 J419547 --format csv
  telescope-query times J412679 --target "19:19:02.60 +41:06:34.24"   # with BJD_TDB

Each frame has its own start time (DATE-OBS of each file of the job's zip,
fetched or taken from the cache); the job's completion time is never used.""",
                  listing=True)
    sub.add_argument('jids', nargs='+', metavar='JOB_ID',
                     help='job ids (J418581 or 418581)')
    sub.add_argument('--target', metavar='COORDINATES',
                     help='"HH:MM:SS.s +DD:MM:SS" of the star: adds barycentric '
                          'Julian dates (bjd_tdb)')
    _add_loop_commands(command)
    return parser


# --- The observer's loop: observable, wait, sync ------------------------------------

def request_id(text: str) -> int:
    """A request id: ``R772002`` or ``772002``."""
    try:
        kind, number = arguments.prefixed_id(text, 'RID')
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if kind == 'J':
        raise argparse.ArgumentTypeError(f"{text!r} is a job id: wait takes request ids (R...)")
    return number


def positive_days(text: str) -> float:
    """A number of days above zero (``arguments.observing_days`` checks the rest)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    return value


def _add_loop_commands(command) -> None:
    """The sub-commands of the observer's loop."""
    sub = command('observable', 'when targets can be observed from the Teide', """\
examples:
  telescope-query observable "20:42:59.6 +43:35:10" "05:35:17 -05:23:28"
  telescope-query observable "SS Cyg" --days 7 --format csv
  telescope-query observable "20:42:59.6 +43:35:10" --start 2027-01-01

Computed here, offline, needs no login: for each target the next window in
astronomical night above the altitude limit and away from the Moon, the nights
and hours observable in the span, the best airmass, and the months of the year
in which it is observable. Names need the internet (astropy's resolver).""",
                  listing=True)
    sub.add_argument('targets', nargs='+', metavar='TARGET',
                     help='"HH:MM:SS.s +DD:MM:SS" coordinates (quoted) or an object name')
    sub.add_argument('--days', type=positive_days, default=30.0, metavar='N',
                     help='length of the span in days (default: 30; at most 366)')
    sub.add_argument('--start', metavar='TIME',
                     help='start of the span, UTC, ISO format (default: now)')
    sub.add_argument('--telescope', default='COAST', metavar='NAME',
                     help='COAST (default) or PIRATE: both are at the Teide')

    sub = command('wait', 'wait until requests complete, downloading as they do', """\
examples:
  telescope-query wait R772002 R772003 --download frames
  telescope-query wait 772002 --timeout 3600 --notify "notify-send telescope"
  telescope-query wait R772002 --download frames --notify ./analyse.sh

Reads your request listing once per round (after 1 s, then waits growing to
--poll seconds) until every request has a final status. With --download, each
completed request's cube is downloaded at once. --notify runs CMD (split like a
shell command line, never through a shell) once per request that reaches a final
status, with TELESCOPE_RID, TELESCOPE_JID, TELESCOPE_FILE and TELESCOPE_STATUS
in its environment. Ctrl-C stops waiting and prints what is known. Exit status
1 when a request ended without images, is still waiting, or failed to download.""",
                  listing=True)
    sub.add_argument('rids', nargs='+', type=request_id, metavar='REQUEST_ID',
                     help='request ids (R772002 or 772002)')
    sub.add_argument('--download', metavar='FOLDER',
                     help='download each completed request\'s cube into FOLDER')
    sub.add_argument('--notify', metavar='CMD',
                     help='run CMD once per request that reaches a final status')
    sub.add_argument('--timeout', type=float, default=None, metavar='SECONDS',
                     help='stop waiting after this long (default: no limit but 30 days)')
    sub.add_argument('--poll', type=float, default=60.0, metavar='SECONDS',
                     help='longest wait between two listing calls (default: 60)')

    sub = command('sync', 'keep a local copy of every completed job\'s images', """\
examples:
  telescope-query sync ~/telescope                       # every completed request
  telescope-query sync ~/telescope --since 2024-11-01 --layout "{object}/{rid}_{jid}"
  telescope-query -q sync ~/telescope                    # for cron: quiet, exit 1 on ERROR

Downloads each completed job not yet in DIR and keeps a ledger beside the files
(telescope-ledger.ecsv). A second run downloads nothing new and reads only the
listing; a deleted, truncated or changed file is fetched again (REFETCHED). An
interrupted run resumes. Two runs of one folder never overlap (a lock file).
Prints a manifest: NEW, UNCHANGED, REFETCHED or ERROR per job; with -q nothing
but the errors. Exit status 1 on any ERROR, or when another run holds the lock.""",
                  listing=True)
    sub.add_argument('dir', metavar='DIR', help='the mirror\'s folder (made when missing)')
    sub.add_argument('--folder', default='Inbox', metavar='NAME_OR_ID',
                     help='request folder to mirror (default: Inbox)')
    sub.add_argument('--since', metavar='TIME',
                     help='only jobs completed at or after this time, UTC, ISO format')
    sub.add_argument('--zip', action='store_true',
                     help='a zip of one FITS file per filter instead of a 3-D cube')
    sub.add_argument('--layout', default='{object}/{jid}', metavar='PATTERN',
                     help='place of each file in DIR, without extension: {object}, '
                          '{jid}, {rid}, {filter} (default: {object}/{jid})')
