# Known-answer vectors for VividCrowd's OSS signer, computed by Alibaba Cloud's own SDK (pip install oss2==2.19.1)
# with its clock fixed and made-up keys: a PutObject request's Authorization header and a signed GET URL.
import oss2
from oss2 import http

oss2.auth.utils.http_date = lambda *args: "Thu, 03 Dec 2026 10:15:00 GMT"
oss2.auth.time.time = lambda: 1796292900
auth = oss2.Auth("LTAIexampleid", "example-secret-key")
put = http.Request("PUT", "https://vividcrowd-media.oss-cn-hangzhou.aliyuncs.com/media/abc.wav", data=b"RIFF",
                   headers={"Content-Type": "audio/wav"})
auth._sign_request(put, "vividcrowd-media", "media/abc.wav")
print("date:", put.headers["date"])
print("authorization:", put.headers["authorization"])
get = http.Request("GET", "https://vividcrowd-media.oss-cn-hangzhou.aliyuncs.com/media/abc.wav")
print("url:", auth._sign_url(get, "vividcrowd-media", "media/abc.wav", 3600))
