#!/usr/bin/env python3
"""aws_stub: loopback stand-ins for the AWS endpoints the credential chain and password_secret
call, for the scenarios (tests/shared/aws_chain.sh).

    aws_stub.py PORT_FILE LOG_FILE [imds-refuse]

Listens on 127.0.0.1 on a free port (written to PORT_FILE) and answers:
  PUT  /latest/api/token                          IMDSv2 session token (needs the TTL header)
  GET  /latest/meta-data/iam/security-credentials/[ROLE]   the role, its credentials
       (401 without the session token, as IMDSv2 does)
  POST /  Action=AssumeRoleWithWebIdentity        STS XML (the token must be "header.jwt.sig")
  POST /  X-Amz-Target: secretsmanager.GetSecretValue      {"SecretString": "stub-secret"}
Every request (line, headers, body) is appended to LOG_FILE. Stops after 60 s.
"""
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

port_file, log_file = sys.argv[1], sys.argv[2]
refuse_imds = len(sys.argv) > 3 and sys.argv[3] == "imds-refuse"
ROLE = "stub-role"
SESSION = "imds-session-token-1"

STS_OK = """<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIASTSSTUB</AccessKeyId>
      <SecretAccessKey>sts-secret-key</SecretAccessKey>
      <SessionToken>sts-session-token+/=</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"""
STS_DENIED = """<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>
<Message>stub: bad web identity token</Message></Error></ErrorResponse>"""
IMDS_CREDS = {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAIMDSSTUB",
              "SecretAccessKey": "imds-secret-key", "Token": "imds-session-cred-token",
              "Expiration": "2099-01-01T00:00:00Z", "LastUpdated": "2026-01-01T00:00:00Z"}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def record(self, body):
        with open(log_file, "a") as f:
            f.write(f"{self.command} {self.path}\n{self.headers}{body.decode(errors='replace')}\n---\n")

    def answer(self, status, body, ctype="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_PUT(self):
        b = self.body()
        self.record(b)
        if self.path != "/latest/api/token":
            return self.answer(404, "")
        if refuse_imds:
            return self.answer(403, "", "text/plain")
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.answer(400, "", "text/plain")
        self.answer(200, SESSION, "text/plain")

    def do_GET(self):
        self.record(b"")
        base = "/latest/meta-data/iam/security-credentials/"
        if not self.path.startswith(base):
            return self.answer(404, "")
        if self.headers.get("X-aws-ec2-metadata-token") != SESSION:
            return self.answer(401, "", "text/plain")
        if self.path == base:
            return self.answer(200, ROLE + "\n", "text/plain")
        if self.path == base + ROLE:
            return self.answer(200, json.dumps(IMDS_CREDS))
        self.answer(404, "")

    def do_POST(self):
        b = self.body()
        self.record(b)
        if self.headers.get("X-Amz-Target") == "secretsmanager.GetSecretValue":
            return self.answer(200, json.dumps({"SecretString": "stub-secret"}))
        form = urllib.parse.parse_qs(b.decode())
        if form.get("Action") == ["AssumeRoleWithWebIdentity"]:
            if form.get("WebIdentityToken") != ["header.jwt.sig"] or not form.get("RoleArn"):
                return self.answer(400, STS_DENIED, "text/xml")
            return self.answer(200, STS_OK, "text/xml")
        self.answer(400, "{}")


server = HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
threading.Timer(60, server.shutdown).start()
server.serve_forever()
