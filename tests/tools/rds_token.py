#!/usr/bin/env python3
"""rds_token: botocore's RDS IAM token for fixed inputs, the reference of tests/shared/aws_iam.sh.

    rds_token.py HOST PORT USER REGION ACCESS_KEY SECRET_KEY SESSION_TOKEN|- UNIX_TIME

generate_db_auth_token of an RDS client, with botocore's clock frozen at UNIX_TIME.
"""
import datetime
import sys
from unittest import mock

import botocore.auth
import botocore.session

host, port, user, region, ak, sk, token, t = sys.argv[1:9]
frozen = datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).replace(tzinfo=None)


class Frozen(datetime.datetime):
    """botocore 1.29 (Debian's) asks utcnow(), newer ones now(timezone.utc)"""

    @classmethod
    def utcnow(cls):
        return frozen

    @classmethod
    def now(cls, tz=None):
        return frozen.replace(tzinfo=tz) if tz else frozen


session = botocore.session.get_session()
session.set_credentials(ak, sk, None if token == "-" else token)
client = session.create_client("rds", region_name=region)
with mock.patch.object(botocore.auth.datetime, "datetime", Frozen):
    print(client.generate_db_auth_token(host, int(port), user))
