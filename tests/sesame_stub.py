"""A local stand-in for CDS Sesame, so that name resolution never leaves this machine.

``with local_sesame() as calls:`` points astropy's resolver at a tiny HTTP
server on 127.0.0.1 that knows the names in `KNOWN`; ``calls`` lists the
names it was asked for.
"""
import contextlib
import http.server
import threading
from urllib.parse import unquote

from astropy.coordinates import name_resolve

KNOWN = {'SS Cyg': (325.67892, 43.58617), 'V1223 Sgr': (283.75917, -31.16311),
         'CH Cyg': (291.13788, 50.24142), 'EQ Lyr': (283.92892, 39.88261)}


def _handler(calls: list) -> type:
    class Sesame(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            name = unquote(self.path.split('?', 1)[1])
            calls.append(name)
            if name in KNOWN:
                ra, dec = KNOWN[name]
                body = f"# {name}\n#=S=Simbad:    1\n%J {ra} {dec:+} = stub\n"
            else:
                body = f"# {name}\n#! *** Nothing found *** \n"
            payload = body.encode()
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain')
            self.send_header('Content-Length', str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass
    return Sesame


@contextlib.contextmanager
def local_sesame():
    calls: list[str] = []
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _handler(calls))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f'http://127.0.0.1:{server.server_address[1]}/sesame/'
    try:
        with name_resolve.sesame_url.set([url]):
            yield calls
    finally:
        server.shutdown()
        server.server_close()
