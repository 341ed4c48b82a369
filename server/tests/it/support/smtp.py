"""A real SMTP server for the tests (aiosmtpd, from PyPI): it accepts every message and writes
each to OUT_DIR as JSON (envelope, subject, Message-ID, the plain-text and HTML parts decoded
by Python's email package), then runs until it is killed.

    python smtp.py HOST PORT OUT_DIR
"""

import json
import os
import sys
import time
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller


class Record:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        self.count += 1
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": envelope.rcpt_tos,
            "from": str(message["from"]),
            "to": str(message["to"]),
            "subject": str(message["subject"]),
            "messageId": str(message["message-id"]),
            "text": message.get_body(("plain",)).get_content(),
            "html": message.get_body(("html",)).get_content(),
        }
        path = os.path.join(self.out_dir, f"{self.count:04d}.json")
        # Written whole, then renamed: the test never reads half a message.
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


host, port, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
controller = Controller(Record(out_dir), hostname=host, port=port)
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
