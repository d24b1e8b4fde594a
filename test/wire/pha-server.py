"""A TLS 1.3 web server that asks for the client certificate after the handshake, per location, as Apache's
`SSLVerifyClient require` inside `<Location>` does: test/wire/post-handshake-auth.test.ts runs it as a second real
server (Python's ssl module over OpenSSL) because `openssl s_server` 3.0 cannot require a certificate after the
handshake (its `c` command asks with SSL_VERIFY_PEER alone, so an empty Certificate is accepted).

Usage: python3 pha-server.py CERT_CHAIN KEY CA_FILE
Prints `LISTEN <port>` once listening, then per connection: `REQUEST <first line>`, and for /protected either
`ASKED` then `AUTHENTICATED <subject>` or `ERROR <reason>` (the alert has gone to the client).
A request for /protected gets `HTTP/1.0 200 OK` once the certificate is verified; any other path gets 200 at once.
"""

import select
import socket
import ssl
import sys

chain, key, ca = sys.argv[1:4]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.minimum_version = ssl.TLSVersion.TLSv1_3
context.maximum_version = ssl.TLSVersion.TLSv1_3
context.load_cert_chain(certfile=chain, keyfile=key)
context.load_verify_locations(cafile=ca)
# CERT_REQUIRED plus post_handshake_auth: no CertificateRequest in the handshake (SSL_VERIFY_POST_HANDSHAKE), and a
# post-handshake one that refuses an empty Certificate (SSL_VERIFY_FAIL_IF_NO_PEER_CERT): certificate_required.
context.verify_mode = ssl.CERT_REQUIRED
context.post_handshake_auth = True

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(8)
print(f"LISTEN {listener.getsockname()[1]}", flush=True)


def authenticate(tls):
    """Sends the CertificateRequest and reads the client's answer without waiting for application data."""
    tls.verify_client_post_handshake()
    tls.do_handshake()  # writes the CertificateRequest
    print("ASKED", flush=True)
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
    tls.setblocking(True)
    subject = dict(part[0] for part in tls.getpeercert()["subject"])
    print(f"AUTHENTICATED {subject.get('commonName')}", flush=True)


while True:
    raw, _ = listener.accept()
    try:
        with context.wrap_socket(raw, server_side=True) as tls:
            line = tls.recv(4096).split(b"\n")[0].decode("latin1").strip()
            print(f"REQUEST {line}", flush=True)
            if "/protected" in line:
                authenticate(tls)
            tls.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nprotected resource\r\n")
    except (ssl.SSLError, OSError, TimeoutError) as err:
        print(f"ERROR {err}", flush=True)
