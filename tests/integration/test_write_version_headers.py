"""The version a write made, as AWS names it in the answer: PutObject,
PostObject (a browser form), CopyObject and CompleteMultipartUpload answer
x-amz-version-id with the new version's id while versioning is Enabled, and
without the header while it is Suspended (the write made the null version;
GET and HEAD of it do say "null") or was never enabled.
"""

import pytest

from test_post_object import post, presign
from test_versioning import enable


def version_header(response):
    return response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-version-id")


def write_all(s3, bucket, tmp_path):
    """Each write op once on its own key; {op: x-amz-version-id or None}."""
    answers = {"put": version_header(s3.put_object(Bucket=bucket, Key="put", Body=b"p"))}
    answers["copy"] = version_header(
        s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "put"}))
    upload = s3.create_multipart_upload(Bucket=bucket, Key="complete")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="complete", UploadId=upload, PartNumber=1, Body=b"m")
    answers["complete"] = version_header(s3.complete_multipart_upload(
        Bucket=bucket, Key="complete", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}))
    path = tmp_path / "form.txt"
    path.write_bytes(b"f")
    form = presign(s3, bucket, "post")
    status, headers, body = post(form["url"], form["fields"], path)
    assert status == 204, body
    answers["post"] = headers.get("x-amz-version-id")
    return answers


def test_unversioned_writes_name_no_version(s3, bucket, tmp_path):
    assert write_all(s3, bucket, tmp_path) == dict.fromkeys(["put", "copy", "complete", "post"])


def test_enabled_writes_name_the_new_version(s3, bucket, tmp_path):
    enable(s3, bucket)
    answers = write_all(s3, bucket, tmp_path)
    for key, answered in answers.items():
        assert answered is not None and answered != "null", (key, answered)
        assert version_header(s3.head_object(Bucket=bucket, Key=key)) == answered
        listed = s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
        assert [(v["Key"], v["VersionId"]) for v in listed] == [(key, answered)]


@pytest.mark.parametrize("first", ["Enabled", "Suspended"])
def test_suspended_writes_answer_without_a_version(s3, bucket, tmp_path, first):
    enable(s3, bucket, first)
    enable(s3, bucket, "Suspended")
    assert write_all(s3, bucket, tmp_path) == dict.fromkeys(["put", "copy", "complete", "post"])
    for key in ("put", "copy", "complete", "post"):
        # What was written is the null version, and reads say so.
        assert version_header(s3.head_object(Bucket=bucket, Key=key)) == "null"
        assert version_header(s3.get_object(Bucket=bucket, Key=key)) == "null"
        listed = s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
        assert [(v["Key"], v["VersionId"]) for v in listed] == [(key, "null")]
