# Produces a known-answer vector for VividCrowd's Volcano Engine signer with the vendor's own SDK (PyPI volcengine).
import json
from volcengine.auth.SignerV4 import SignerV4
from volcengine.Credentials import Credentials
from volcengine.base.Request import Request
SignerV4.get_current_format_date = staticmethod(lambda: "20261203T101500Z")
r = Request()
r.set_method("POST"); r.set_path("/"); r.set_host("visual.volcengineapi.com")
r.set_headers({"Content-Type": "application/json", "Host": "visual.volcengineapi.com"})
r.set_query({"Action": "CVSync2AsyncSubmitTask", "Version": "2022-08-31"})
r.set_body('{"audio_url":"https://example.com/a.wav","image_url":"https://example.com/p.png","req_key":"realman_avatar_picture_omni_v2"}')
SignerV4.sign(r, Credentials("AKLTexampleaccesskey", "c2VjcmV0LWtleS1leGFtcGxl", "cv", "cn-north-1"))
print(json.dumps({k: r.headers[k] for k in ("X-Date", "X-Content-Sha256", "Authorization")}, indent=1))
