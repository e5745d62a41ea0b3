"""LinkHub's kakaocert Python SDK 2.0.0 (unmodified), the last release that speaks API 1.0 with
GetVerifyAuthState and VerifyAuth: seed 002's own procedure against dojang over TLS.

    request -> GetVerifyAuthState until state 1 -> VerifyAuth -> signedData == Token

and the rest of what seeds 001 and 002 promise through this SDK: 20-digit receipt ids, VerifyAuth
once, states 0-2 only (a declined request shows 2), callCenterName as sent, RequestESign /
GetESignState / VerifyESign with the CMS, and app-to-app (isAppUseYN): a tx_id that opens the
person's app (`dojang-app open dojang://request?txID=...`), then VerifyESign with the app's
signature segment. Run by compat/run.sh inside compat/with-server.sh."""

import os
import re
import subprocess
import time

from kakaocert import RequestESign, RequestVerifyAuth

import kc_judge
from kc_judge import (CLIENT_CODE, IDLE_BIRTHDAY, IDLE_HP, IDLE_NAME, check, expect_error,
                      signed_by_receiver, answered, person)

# Every run makes exactly this many checks (compat/counted.sh holds the judge to it).
kc_judge.plan(27)

service = kc_judge.pointed_at_dojang()


# Seed 002, step by step.
token = "seed-002-one-time-%d" % int(time.time())
r = service.requestVerifyAuth(CLIENT_CODE, RequestVerifyAuth(**person(
    TMSTitle="본인인증", Token=token, CallCenterName="도장센터")))
check(len(r.receiptId) == 20 and r.receiptId.isdigit(), "receiptID String 20")
st = answered(service.getVerifyAuthState, r.receiptId)
check(st.state == 1, "state 1 (서명완료)")
check(st.receiptID == r.receiptId and st.clientCode == CLIENT_CODE, "ResultVerifyAuth ids")
check(st.tmstitle == "본인인증" and st.callCenterName == "도장센터", "as sent")
check(st.allowSimpleRegistYN is False and st.verifyNameYN is True, "flags as sent")
check(st.completeDT and len(st.completeDT) == 14 and st.verifyDT is None, "dates")
v = service.verfiyAuth(CLIENT_CODE, r.receiptId)
check(v.receiptId == r.receiptId, "VerifyResult receiptId")
check(v.signedData == token, "signedData == Token")
check(len(v.signedData) <= 500, "signedData String 500")
expect_error(-10300003, service.verfiyAuth, CLIENT_CODE, r.receiptId)
check(service.getVerifyAuthState(CLIENT_CODE, r.receiptId).verifyDT, "verifyDT after verify")

# E-sign with state and verify: the CMS over the Token, by the person's certificate.
r = service.requestESign(CLIENT_CODE, RequestESign(**person(
    TMSTitle="약정서", Token="약정에 동의합니다")))
check(len(r.receiptId) == 20, "esign receiptID String 20")
check(answered(service.getESignState, r.receiptId).state == 1, "esign signed")
v = service.verifyESign(CLIENT_CODE, r.receiptId)
signed_by_receiver(v.signedData, "약정에 동의합니다")

# App-to-app: a tx_id, which opens the person's app on the request; then VerifyESign with the
# signature segment the app-to-app form sends.
r = service.requestESign(CLIENT_CODE, RequestESign(**person(
    TMSTitle="앱투앱 약정", Token="앱에서 서명합니다", isAppUseYN=True)))
check(r.tx_id and re.fullmatch(r"[0-9a-f]{40}", r.tx_id), "tx_id: %r" % r.tx_id)
st = service.getESignState(CLIENT_CODE, r.receiptId)
check(st.state == 0 and st.appUseYN is True and st.tx_id == r.tx_id, "app-to-app state")
opened = subprocess.run([os.environ["DOJANG_APP"], "--profile",
                         os.environ["DOJANG_RECEIVER_PROFILE"], "open",
                         "dojang://request?txID=" + r.tx_id],
                        capture_output=True, text=True, timeout=60)
check(opened.returncode == 0, "dojang-app open: %s %s" % (opened.stdout, opened.stderr))
check(service.getESignState(CLIENT_CODE, r.receiptId).state == 1, "approved in the app")
v = service.verifyESign(CLIENT_CODE, r.receiptId, "signature-from-the-app")
signed_by_receiver(v.signedData, "앱에서 서명합니다")

# A declined request: 2 in API 1.0 (the documents know 0, 1 and 2 only).
idle = person(TMSTitle="거절할 요청", Token="x")
idle.update(ReceiverName=IDLE_NAME, ReceiverHP=IDLE_HP, ReceiverBirthDay=IDLE_BIRTHDAY,
            isAllowSimpleRegistYN=True, isVerifyNameYN=False)
r = service.requestVerifyAuth(CLIENT_CODE, RequestVerifyAuth(**idle))
check(service.getVerifyAuthState(CLIENT_CODE, r.receiptId).state == 0, "미확인 (0)")
declined = subprocess.run([os.environ["DOJANG_APP"], "--profile", os.environ["DOJANG_IDLE_PROFILE"],
                           "decline", r.receiptId], capture_output=True, text=True, timeout=60)
check(declined.returncode == 0, "dojang-app decline: %s" % declined.stderr)
check(service.getVerifyAuthState(CLIENT_CODE, r.receiptId).state == 2, "declined shows 2")
expect_error(-10300006, service.verfiyAuth, CLIENT_CODE, r.receiptId)

# Receipt ids of the other form, and unknown ones.
expect_error(-10201081, service.getVerifyAuthState, CLIENT_CODE, "1" * 32)
expect_error(-10300001, service.getVerifyAuthState, CLIENT_CODE, "1" * 20)

kc_judge.finish("kakaocert (Python SDK 2.0.0, API 1.0, seed 002's procedure, over TLS)")
