import { consoleRoute } from "@/lib/api/route";
import { ValidationError } from "@/lib/services/errors";
import { intakePackage } from "@/lib/services/releases/intake";
import { MAX_SIGNATURE_BYTES } from "@/lib/services/releases/package-verification";

// Vendor package upload, streamed (the browser shows progress). The body is the detached signature file
// (if any) followed by the package; `x-signature-length` says where one ends. intakePackage checks
// permission before reading a byte, verifies the vendor signature, and keeps or quarantines the file.
export const POST = consoleRoute(async (ctx, request) => {
  const params = new URL(request.url).searchParams;
  const signatureLength = Number(request.headers.get("x-signature-length") ?? "0");
  if (!Number.isInteger(signatureLength) || signatureLength < 0 || signatureLength > MAX_SIGNATURE_BYTES) {
    throw new ValidationError("The signature file is too large to be a signature.");
  }
  if (!request.body) throw new ValidationError("No file was sent.");
  const { signature, rest } = await splitHead(request.body, signatureLength);
  const release = await intakePackage(ctx, {
    releaseId: Number(params.get("releaseId")),
    fileName: params.get("filename") ?? "",
    signature: signatureLength > 0 ? signature : undefined,
    body: rest,
  });
  return Response.json({ id: release.id, state: release.state }, { status: 201 });
});

/** Reads the first `n` bytes of a stream and returns them with the remaining stream. */
async function splitHead(body: ReadableStream<Uint8Array>, n: number): Promise<{ signature: Buffer; rest: AsyncIterable<Uint8Array> }> {
  const reader = body.getReader();
  const head: Buffer[] = [];
  let have = 0;
  let carry: Uint8Array | null = null;
  while (have < n) {
    const { value, done } = await reader.read();
    if (done) throw new ValidationError("The upload ended before the signature was complete.");
    const take = Math.min(n - have, value.length);
    head.push(Buffer.from(value.subarray(0, take)));
    have += take;
    if (take < value.length) carry = value.subarray(take);
  }
  async function* rest() {
    if (carry) yield carry;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  }
  return { signature: Buffer.concat(head), rest: rest() };
}
