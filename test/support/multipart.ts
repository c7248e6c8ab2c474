/** multipart/related bodies for STOW-RS requests and a splitter for multipart responses. */

/** A multipart/related STOW body from whole Part 10 files. */
export function multipartBody(files: Buffer[], boundary = 'test-boundary-1234'): { body: Buffer; contentType: string } {
  const parts: Buffer[] = [];
  for (const f of files)
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(parts),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

/** Splits a multipart/related response into its parts' bodies. */
export function splitMultipart(body: Buffer, contentType: string): { headers: string; data: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const delim = Buffer.from(`--${boundary}`);
  const out: { headers: string; data: Buffer }[] = [];
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    const start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), headerEnd);
    out.push({ headers: body.subarray(start + 2, headerEnd).toString(), data: body.subarray(headerEnd + 4, next) });
    pos = next + 2;
  }
  return out;
}
