"""A TLS 1.3 web server with one protected location, asked for by post-handshake authentication, in two behaviours:

- `strict`: for /protected/ it sends a post-handshake CertificateRequest (only to a client that offered
  post_handshake_auth: without it the answer is 403), reads the answer and verifies it (CERT_REQUIRED: an empty
  Certificate is certificate_required, a bad chain an alert), and serves the resource only once it is verified;
- `ignore-answer`: the deliberately broken one. It sends the CertificateRequest too, but writes the resource right
  after it, whatever the client answers or whether the request could be sent at all (a client without
  post_handshake_auth is served as well); it reads the answer only afterwards, and ignores what OpenSSL says of it.

Every other path is served without a certificate. test/post-handshake/broken-server.test.ts runs both: the harness
must pass the first and fail the second.

Usage: python3 location-server.py strict|ignore-answer CERT_CHAIN KEY CA_FILE
Prints `LISTEN <port>` once listening, then per connection `REQUEST <first line>` and what it did.
"""

import select
import socket
import ssl
import sys

mode, chain, key, ca = sys.argv[1:5]
if mode not in ("strict", "ignore-answer"):
    sys.exit(f"unknown mode {mode}")

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.minimum_version = ssl.TLSVersion.TLSv1_3
context.maximum_version = ssl.TLSVersion.TLSv1_3
context.load_cert_chain(certfile=chain, keyfile=key)
context.load_verify_locations(cafile=ca)
# With post_handshake_auth the handshake sends no CertificateRequest (SSL_VERIFY_POST_HANDSHAKE); CERT_REQUIRED makes
# the post-handshake one refuse an empty Certificate (SSL_VERIFY_FAIL_IF_NO_PEER_CERT).
context.verify_mode = ssl.CERT_REQUIRED
context.post_handshake_auth = True

OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: close\r\n\r\nprotected resource\n"
ROOT = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
FORBIDDEN = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(f"LISTEN {listener.getsockname()[1]}", flush=True)


def read_answer(tls):
    """Reads the client's answer without waiting for application data: until OpenSSL has verified a certificate, or
    raises what it said of the answer (the alert has gone to the client)."""
    tls.setblocking(False)
    while tls.getpeercert(binary_form=True) is None:
        readable, _, _ = select.select([tls], [], [], 10)
        if not readable:
            raise TimeoutError("no answer to the CertificateRequest")
        try:
            if tls.recv(4096) == b"":
                raise ConnectionError("client closed")
        except ssl.SSLWantReadError:
            continue
    tls.settimeout(10)


def drain(tls):
    """Reads until the client closes, so the response is not lost to a reset; what OpenSSL says is ignored."""
    try:
        while tls.recv(4096) != b"":
            pass
    except (ssl.SSLError, OSError):
        pass


def serve(tls):
    line = tls.recv(4096).split(b"\n")[0].decode("latin1").strip()
    print(f"REQUEST {line}", flush=True)
    if not line.startswith("GET /protected/"):
        tls.sendall(ROOT)
        return
    if mode == "ignore-answer":
        try:
            tls.verify_client_post_handshake()
            print("ASKED", flush=True)
        except ssl.SSLError as err:
            print(f"NOT ASKED {err}", flush=True)
        tls.sendall(OK)  # the CertificateRequest leaves first, then the resource, before any answer is read
        print("SERVED without reading the answer", flush=True)
        drain(tls)
        return
    try:
        tls.verify_client_post_handshake()
    except ssl.SSLError as err:
        print(f"REFUSED cannot ask: {err}", flush=True)
        tls.sendall(FORBIDDEN)
        return
    tls.do_handshake()  # writes the CertificateRequest
    print("ASKED", flush=True)
    read_answer(tls)
    subject = dict(part[0] for part in tls.getpeercert()["subject"])
    print(f"AUTHENTICATED {subject.get('commonName')}", flush=True)
    tls.sendall(OK)


while True:
    raw, _ = listener.accept()
    raw.settimeout(10)  # no connection holds the server longer
    try:
        with context.wrap_socket(raw, server_side=True) as tls:
            serve(tls)
    except (ssl.SSLError, OSError, TimeoutError) as err:
        print(f"ERROR {err}", flush=True)
