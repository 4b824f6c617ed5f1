// The AWS SDK for JavaScript v3 against fsgate, with the SDK's defaults
// (CRC32 request checksums, sent in aws-chunked trailers; responses'
// checksums validated). Run by tests/integration/test_js_sdk.py, which
// checks what this prints (one JSON object) against its own computation.
//
// env: FSGATE_ENDPOINT, FSGATE_ACCESS_KEY, FSGATE_SECRET_KEY, FSGATE_BUCKET
import { createHash } from "node:crypto";
import { Readable } from "node:stream";

import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const MiB = 1024 * 1024;
const env = process.env;
const Bucket = env.FSGATE_BUCKET;
const client = new S3Client({
  endpoint: env.FSGATE_ENDPOINT,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: env.FSGATE_ACCESS_KEY, secretAccessKey: env.FSGATE_SECRET_KEY },
});

// The test object, made the same way by the test: 1 MiB chunks, chunk k
// a pseudo-random MiB rotated left by 7k bytes.
const base = Buffer.alloc(MiB);
for (let i = 0; i < MiB; i++) base[i] = Math.imul(i, 2654435761 | 0) >>> 24;
const chunk = (k) => Buffer.concat([base.subarray((7 * k) % MiB), base.subarray(0, (7 * k) % MiB)]);

// 30 MiB as a stream of unknown length.
function stream(chunks) {
  let k = 0;
  return new Readable({
    read() {
      this.push(k < chunks ? chunk(k++) : null);
    },
  });
}

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");
const body = async (resp) => Buffer.from(await resp.Body.transformToByteArray());
const checksums = (resp) =>
  Object.fromEntries(Object.entries(resp).filter(([k, v]) => k.startsWith("Checksum") && v));

const chunks = 30;
const out = {};

const upload = new Upload({ client, params: { Bucket, Key: "streamed", Body: stream(chunks) } });
const done = await upload.done();
out.upload = { ETag: done.ETag, ...checksums(done) };

const whole = await client.send(new GetObjectCommand({ Bucket, Key: "streamed", ChecksumMode: "ENABLED" }));
const bytes = await body(whole);
out.get = { size: bytes.length, sha256: sha256(bytes), ETag: whole.ETag, ...checksums(whole) };

const start = 7 * MiB - 3;
const ranged = await client.send(
  new GetObjectCommand({ Bucket, Key: "streamed", Range: `bytes=${start}-${start + 99999}` }),
);
const piece = await body(ranged);
out.range = { start, ContentRange: ranged.ContentRange, sha256: sha256(piece) };

const part = await client.send(
  new GetObjectCommand({ Bucket, Key: "streamed", PartNumber: 2, ChecksumMode: "ENABLED" }),
);
const partBytes = await body(part);
out.part2 = { sha256: sha256(partBytes), PartsCount: part.PartsCount, ...checksums(part) };

const attrs = await client.send(
  new GetObjectAttributesCommand({
    Bucket,
    Key: "streamed",
    ObjectAttributes: ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"],
    MaxParts: 4,
  }),
);
out.attributes = {
  ETag: attrs.ETag,
  Checksum: attrs.Checksum,
  StorageClass: attrs.StorageClass,
  ObjectSize: attrs.ObjectSize,
  TotalPartsCount: attrs.ObjectParts?.TotalPartsCount,
  IsTruncated: attrs.ObjectParts?.IsTruncated,
  NextPartNumberMarker: attrs.ObjectParts?.NextPartNumberMarker,
  Parts: attrs.ObjectParts?.Parts,
};

// A single PUT with the default CRC32 (its value in a trailer), read back validated.
const small = base.subarray(0, 100000);
const put = await client.send(new PutObjectCommand({ Bucket, Key: "small", Body: small }));
out.put = checksums(put);
const got = await client.send(new GetObjectCommand({ Bucket, Key: "small", ChecksumMode: "ENABLED" }));
out.small = { ok: (await body(got)).equals(small), ...checksums(got) };
const head = await client.send(new HeadObjectCommand({ Bucket, Key: "small", ChecksumMode: "ENABLED" }));
out.head = checksums(head);

// ListBuckets paged by the SDK: MaxBuckets, Prefix, ContinuationToken.
const Prefix = `${Bucket}-lb-`;
const names = [0, 1, 2].map((i) => `${Prefix}${i}`);
for (const name of names) await client.send(new CreateBucketCommand({ Bucket: name }));
out.listBuckets = [];
let ContinuationToken;
do {
  const page = await client.send(new ListBucketsCommand({ MaxBuckets: 2, Prefix, ContinuationToken }));
  out.listBuckets.push({ names: (page.Buckets ?? []).map((b) => b.Name), Prefix: page.Prefix });
  ContinuationToken = page.ContinuationToken;
} while (ContinuationToken);
for (const name of names) await client.send(new DeleteBucketCommand({ Bucket: name }));

process.stdout.write(JSON.stringify(out));
