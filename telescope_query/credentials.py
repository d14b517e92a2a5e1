"""Where the user name and the password for telescope.org come from.

Sources, in order: the ``password`` argument; the keyring (service
``astroquery:telescope.org``); the environment (``TELESCOPE_QUERY_PASSWORD``,
with ``TELESCOPE_QUERY_USER`` as the default user, for cron jobs and CI); the
original library's config file (``~/.config/telescope.ini``, section
``[telescope.org]``, keys ``user`` and ``password``); a ``getpass`` prompt when
someone can answer it. No I/O with the server here, and a password never
appears in a message, a log line or a ``repr``.
"""
from __future__ import annotations

import configparser
import getpass
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

import keyring
from astroquery import log

from .exceptions import LoginError

__all__ = ['KEYRING_SERVICE', 'DEFAULT_CONFIG', 'Secret', 'Credentials',
           'find_username', 'find_credentials', 'store_in_keyring', 'read_config_file',
           'interactive', 'keyring_unusable']

KEYRING_SERVICE = 'astroquery:telescope.org'
DEFAULT_CONFIG = '~/.config/telescope.ini'
CONFIG_SECTION = 'telescope.org'
ENV_USER = 'TELESCOPE_QUERY_USER'
ENV_PASSWORD = 'TELESCOPE_QUERY_PASSWORD'


class Secret:
    """A password that does not show itself: no ``repr``, no ``str``, no pickling."""

    __slots__ = ('_value',)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        """The password itself, to put in the login form."""
        return self._value

    def hide_in(self, text: str) -> str:
        """``text`` with every occurrence of the password masked."""
        return text.replace(self._value, '********') if self._value else text

    def __repr__(self) -> str:
        return '<Secret: hidden>'

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError('a password is never pickled')


@dataclass(frozen=True)
class Credentials:
    """A user name, its password and where the password was found."""

    username: str
    password: Secret = field(repr=False)
    source: str
    from_keyring: bool = False


def read_config_file(config: str | os.PathLike | None) -> dict[str, str]:
    """The ``[telescope.org]`` section of the original library's config file.

    ``config=None`` reads ``~/.config/telescope.ini`` when it exists. An
    explicitly given file that does not exist or cannot be parsed raises
    `~astroquery.exceptions.LoginError` (the user asked for it).
    """
    explicit = config is not None
    if explicit and not isinstance(config, (str, os.PathLike)):
        raise TypeError(f"config must be the path of a config file (str or path-like), "
                        f"got {type(config).__name__}")
    path = Path(os.path.expanduser(os.fspath(config if config is not None else DEFAULT_CONFIG)))
    if not path.is_file():
        if explicit:
            raise LoginError(f"config: the file {str(path)!r} does not exist")
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding='utf-8')
    except configparser.Error as exc:
        # The parser's message may quote a line of the file: say only where.
        raise LoginError(f"config: cannot parse {str(path)!r} "
                         f"({type(exc).__name__})") from None
    if not parser.has_section(CONFIG_SECTION):
        if explicit:
            raise LoginError(f"config: {str(path)!r} has no [{CONFIG_SECTION}] section")
        return {}
    found = {key: parser.get(CONFIG_SECTION, key) for key in ('user', 'password')
             if parser.has_option(CONFIG_SECTION, key)}
    if found.get('password'):
        _warn_if_readable_by_others(path)
    return found


_WARNED: set[tuple[str, int]] = set()


def _warn_if_readable_by_others(path: Path) -> None:
    """Warn (once per file and mode) when group or others may read a file with a password."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if os.name != 'posix' or not mode & 0o077 or (str(path), mode) in _WARNED:
        return
    _WARNED.add((str(path), mode))
    log.warning(f"config: {str(path)!r} holds a password and is readable by group or "
                f"others (mode {mode:04o}); make it private with: chmod 600 {path} "
                f"(or keep the password in the keyring: login(store_password=True)).")


def find_username(username: str | None, *, default: str = '',
                  config: str | os.PathLike | None = None) -> str:
    """The user name: argument, ``conf.username`` (``default``), environment, config file."""
    if username is not None and not isinstance(username, str):
        raise TypeError(f"username must be a string, got {type(username).__name__}")
    sources = (lambda: username, lambda: default, lambda: os.environ.get(ENV_USER),
               lambda: read_config_file(config).get('user'))
    for source in sources:              # lazily: the config file only when needed
        candidate = source()
        if candidate and candidate.strip():
            return candidate.strip()
    raise LoginError(
        "No user name: pass username=..., set telescope_query.conf.username, "
        f"the environment variable {ENV_USER}, or 'user' in the [{CONFIG_SECTION}] "
        f"section of {config or DEFAULT_CONFIG}")


#: Whether this process has warned about an unusable keyring (see `_warn_keyring_once`).
_KEYRING_WARNED = False


def _from_keyring(username: str) -> tuple[str | None, str | None]:
    """``(password, problem)``: the keyring's password, or why the keyring could not be read.

    A machine without a usable backend is not an error here: the other sources
    are tried, and the problem is told only when it matters (`find_credentials`).
    """
    try:
        return keyring.get_password(KEYRING_SERVICE, username), None
    except Exception as exc:  # NoKeyringError, locked or broken backends: never fatal
        # keyring's messages run on with advice: its first sentence, on one line.
        text = ' '.join(str(exc).split()).split('. ')[0].rstrip('.')
        return None, f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _warn_keyring_once(problem: str) -> None:
    """Warn, once per process, that the keyring could not be read (before a prompt)."""
    global _KEYRING_WARNED
    if _KEYRING_WARNED:
        return
    _KEYRING_WARNED = True
    log.warning(f"The keyring is unavailable ({problem}); the password is asked for "
                f"instead and cannot be remembered.")


def keyring_unusable() -> str | None:
    """Why the keyring cannot keep a password here (None when it can).

    keyring falls back to its ``fail`` backend when the machine has none (a server
    without a desktop session), and ``null`` is the one a user chooses to keep
    nothing; both are named, as keyring names them.
    """
    from keyring.backends import fail, null
    try:
        backend = keyring.get_keyring()
    except Exception as exc:        # a broken keyring configuration
        return type(exc).__name__
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return f"{type(backend).__module__}.{type(backend).__qualname__}"
    return None


def interactive() -> bool:
    """Whether someone can answer a prompt: a notebook, or a terminal on standard input."""
    try:
        from IPython import get_ipython
        if get_ipython() is not None:
            return True
    except ImportError:
        pass
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):     # closed or replaced stdin
        return False


def find_credentials(username: str, *, password: str | None = None,
                     reenter_password: bool = False,
                     config: str | os.PathLike | None = None) -> Credentials:
    """Find the password of ``username`` in the sources, in order.

    ``reenter_password=True`` skips the stored sources (keyring, environment,
    config file) and prompts, as in astroquery.

    Raises
    ------
    `~astroquery.exceptions.LoginError`
        When no source has a password, saying where it looked.
    """
    if password is not None:
        if not isinstance(password, str) or not password:
            raise TypeError("password must be a non-empty string")
        return Credentials(username, Secret(password), 'argument')
    looked = ['the password argument']
    keyring_problem = None
    if not reenter_password:
        stored, keyring_problem = _from_keyring(username)
        looked.append(f"the keyring (service {KEYRING_SERVICE!r}"
                      + (f", unavailable: {keyring_problem})" if keyring_problem else ")"))
        if stored:
            return Credentials(username, Secret(stored), 'keyring', from_keyring=True)

        env_user = os.environ.get(ENV_USER, '').strip()
        env_password = os.environ.get(ENV_PASSWORD)
        looked.append(f"the environment ({ENV_PASSWORD}"
                      + (f" for {ENV_USER}={env_user!r})" if env_user else ")"))
        # The environment's password belongs to the environment's user.
        if env_password and env_user in ('', username):
            return Credentials(username, Secret(env_password), 'environment')

        section = read_config_file(config)
        looked.append(f"the config file {str(config or DEFAULT_CONFIG)!r}")
        if section.get('password') and section.get('user', username) == username:
            return Credentials(username, Secret(section['password']), 'config file')

    if interactive():
        if keyring_problem:
            _warn_keyring_once(keyring_problem)
        typed = getpass.getpass(f"telescope.org password for {username}: ")
        if typed:
            return Credentials(username, Secret(typed), 'prompt')
        looked.append('the prompt (nothing typed)')
    else:
        looked.append('no prompt (not an interactive session)')
    raise LoginError(f"No password for user {username!r}: looked in "
                     + ', '.join(looked) + '.')


def store_in_keyring(credentials: Credentials) -> None:
    """Save the password in the keyring; a missing backend is a warning."""
    try:
        keyring.set_password(KEYRING_SERVICE, credentials.username,
                             credentials.password.reveal())
    except Exception as exc:
        log.warning(f"Could not store the password of {credentials.username!r} in the "
                    f"keyring ({type(exc).__name__}); it was not saved.")
