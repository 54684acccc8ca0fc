#!/usr/bin/env bash
# The AWS credential chain against loopback stubs (tests/tools/aws_stub.py), through the tap's
# password_secret (aws): the Secrets Manager request must be signed with the credentials that
# web identity (STS AssumeRoleWithWebIdentity), IMDSv2 or a profile of the shared credentials
# file gave, and the password it returns must connect. Nothing secret reaches a log line.
# shellcheck disable=SC1091
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"

db=aws_chain
fresh_db "$db"
psql_q postgres "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'aws_pw_user') THEN CREATE ROLE aws_pw_user LOGIN; END IF; END \$\$; ALTER ROLE aws_pw_user LOGIN PASSWORD 'stub-secret'" >/dev/null

stub_pid=
start_stub() { # start_stub [imds-refuse]
    rm -f "$TEST_TMP/port" "$TEST_TMP/requests.log"
    python3 "$TESTS_DIR/tools/aws_stub.py" "$TEST_TMP/port" "$TEST_TMP/requests.log" "$@" &
    stub_pid=$!
    for _ in $(seq 200); do [ -s "$TEST_TMP/port" ] && break; sleep 0.05; done
    port=$(cat "$TEST_TMP/port")
}
stop_stub() {
    if [ -n "$stub_pid" ]; then
        kill "$stub_pid" 2>/dev/null || true
        wait "$stub_pid" 2>/dev/null || true
    fi
    stub_pid=
}
trap stop_stub EXIT

# config PROFILE_JSON: password_secret (aws) whose Secrets Manager is the stub
config() {
    printf '{"host":"%s","port":%s,"user":"aws_pw_user","dbname":"%s","password_secret":{"provider":"aws","secret_id":"prod/db","region":"eu-west-1","endpoint_url":"http://127.0.0.1:%s"%s}}\n' \
        "$PGHOST" "$PGPORT" "$db" "$port" "${1:-}" >"$TEST_TMP/config.json"
}
# sm_request: the Secrets Manager request the stub received
sm_request() { awk '/^POST /{b=""} {b=b $0 "\n"} /^---$/{if (b ~ /GetSecretValue/) print b}' "$TEST_TMP/requests.log"; }

# 1. web identity: the token file and role from the environment, STS at the stub
start_stub
config
printf 'header.jwt.sig\n' >"$TEST_TMP/web_token"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" env AWS_WEB_IDENTITY_TOKEN_FILE="$TEST_TMP/web_token" \
    AWS_ROLE_ARN=arn:aws:iam::123456789012:role/tap AWS_ROLE_SESSION_NAME=tap-session \
    AWS_ENDPOINT_URL_STS="http://127.0.0.1:$port" "$TAP_BIN" --config "$TEST_TMP/config.json" --discover
assert_eq 0 "$RC" "web identity: the password from the secret connects"
log=$(cat "$TEST_TMP/requests.log")
assert_contains "$log" "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Ftap&RoleSessionName=tap-session&WebIdentityToken=header.jwt.sig" "web identity: STS gets the role, session name and token (form-encoded POST)"
assert_contains "$(sm_request)" "Credential=ASIASTSSTUB/" "web identity: Secrets Manager is signed with the STS credentials"
assert_contains "$(sm_request)" "X-Amz-Security-Token: sts-session-token+/=" "web identity: with the STS session token"
assert_contains "$(cat "$TEST_TMP/err")" 'password read from secret "prod/db" (credentials from web identity (STS AssumeRoleWithWebIdentity))' "web identity: the log names the source"
for s in header.jwt.sig sts-secret-key sts-session-token stub-secret; do
    assert_not_contains "$(cat "$TEST_TMP/err")" "$s" "web identity: $s is not logged"
done
# a token STS refuses: its Code and Message, exit 3
printf 'other.jwt\n' >"$TEST_TMP/web_token_bad"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" env AWS_WEB_IDENTITY_TOKEN_FILE="$TEST_TMP/web_token_bad" \
    AWS_ROLE_ARN=arn:aws:iam::123456789012:role/tap AWS_ENDPOINT_URL_STS="http://127.0.0.1:$port" \
    "$TAP_BIN" --config "$TEST_TMP/config.json" --discover
assert_eq 3 "$RC" "web identity refused: exit 3"
assert_contains "$(cat "$TEST_TMP/err")" "password_secret (aws): STS AssumeRoleWithWebIdentity for role arn:aws:iam::123456789012:role/tap: HTTP 400 from http://127.0.0.1:$port/: InvalidIdentityToken: stub: bad web identity token" "web identity refused: STS's code and message"
stop_stub

# 2. IMDSv2: session token, role, credentials
start_stub
config
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" env -u AWS_EC2_METADATA_DISABLED \
    AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$port/" "$TAP_BIN" --config "$TEST_TMP/config.json" --discover
assert_eq 0 "$RC" "IMDSv2: the password from the secret connects"
assert_eq "PUT /latest/api/token GET /latest/meta-data/iam/security-credentials/ GET /latest/meta-data/iam/security-credentials/stub-role POST /" \
    "$(grep -E '^(PUT|GET|POST) ' "$TEST_TMP/requests.log" | tr '\n' ' ' | sed 's/ $//')" "IMDSv2: token, role, credentials, then Secrets Manager"
assert_contains "$log$(cat "$TEST_TMP/requests.log")" "X-aws-ec2-metadata-token-ttl-seconds: 21600" "IMDSv2: the token is asked for with a TTL"
assert_eq 2 "$(grep -c '^X-aws-ec2-metadata-token: imds-session-token-1' "$TEST_TMP/requests.log")" "IMDSv2: both reads carry the session token"
assert_contains "$(sm_request)" "Credential=ASIAIMDSSTUB/" "IMDSv2: Secrets Manager is signed with the instance's credentials"
assert_contains "$(sm_request)" "X-Amz-Security-Token: imds-session-cred-token" "IMDSv2: with the instance's session token"
for s in imds-secret-key imds-session-cred-token imds-session-token-1; do
    assert_not_contains "$(cat "$TEST_TMP/err")" "$s" "IMDSv2: $s is not logged"
done
stop_stub
# a metadata service that refuses the session token: no IMDSv1 fallback, exit 3
start_stub imds-refuse
config
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" env -u AWS_EC2_METADATA_DISABLED \
    AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$port" "$TAP_BIN" --config "$TEST_TMP/config.json" --discover
assert_eq 3 "$RC" "IMDSv2 refused: exit 3"
assert_contains "$(cat "$TEST_TMP/err")" "password_secret (aws): HTTP 403 from http://127.0.0.1:$port/latest/api/token" "IMDSv2 refused: the status and the URL"
assert_contains "$(cat "$TEST_TMP/err")" "password_secret (aws): no AWS credentials: not in the environment" "IMDSv2 refused: what was tried"
assert_eq 0 "$(grep -c '^GET ' "$TEST_TMP/requests.log" || true)" "IMDSv2 refused: no read without a session token (no IMDSv1)"
stop_stub

# 3. a profile of the shared credentials file, named in password_secret; the environment's keys
#    do not win over a named profile (botocore)
start_stub
config ',"profile":"loader"'
printf '[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = d\n[loader]\naws_access_key_id = AKIALOADER\naws_secret_access_key = loader-secret\n' >"$TEST_TMP/credentials"
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" env AWS_SHARED_CREDENTIALS_FILE="$TEST_TMP/credentials" \
    AWS_ACCESS_KEY_ID=AKIAENV AWS_SECRET_ACCESS_KEY=env-secret "$TAP_BIN" --config "$TEST_TMP/config.json" --discover
assert_eq 0 "$RC" "profile: the password from the secret connects"
assert_contains "$(sm_request)" "Credential=AKIALOADER/" "profile: signed with the profile's keys"
assert_not_contains "$(sm_request)" "X-Amz-Security-Token" "profile: no session token"
assert_not_contains "$(cat "$TEST_TMP/err")" "loader-secret" "profile: the secret key is not logged"
# a profile that is nowhere: exit 3 naming it
config ',"profile":"nobody"'
run_cmd "$TEST_TMP/out" "$TEST_TMP/err" env AWS_SHARED_CREDENTIALS_FILE="$TEST_TMP/credentials" \
    "$TAP_BIN" --config "$TEST_TMP/config.json" --discover
assert_eq 3 "$RC" "missing profile: exit 3"
assert_contains "$(cat "$TEST_TMP/err")" "password_secret (aws): AWS profile \"nobody\" is not in $TEST_TMP/credentials nor in /nonexistent/config" "missing profile: named with the files"
stop_stub

finish
