/**
 * s3rver alone (diagnostic for P7 on PostgreSQL + S3, issue 22): N PUTs of a P7-sized instance
 * (a 16×16 CT from ctInstance) sent `concurrency` at a time with the server's own S3 client
 * (createS3Client, as `serve --blob-store s3://…` makes it), against s3rver started the way the
 * bench starts it — in this process, or with `--child` in a process of its own, so that the
 * client's CPU and s3rver's are told apart. Prints per-PUT latency (p50/p99), wall time, and the
 * CPU of this process (and of the s3rver child).
 *   node --import tsx bench/probe/s3-put-loop.ts [puts=200] [concurrency=200] [--child]
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/archive/blob/s3-client.js';
import { startTestS3 } from '../../src/archive/blob/test-support.js';
import { ctInstance } from '../../src/dicom/test-support.js';

const BUCKET = 'ib-put-loop';

if (process.argv[2] === 'serve-s3') {
  const s3 = await startTestS3(BUCKET);
  process.send?.(s3.endpoint);
  process.on('message', () => void s3.stop().then(() => process.exit(0)));
} else {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const child = process.argv.includes('--child');
  const [puts, concurrency] = [Number(args[0] ?? 200), Number(args[1] ?? 200)];
  const cpuOf = (pid: number): number => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  };
  let endpoint: string;
  let stop: () => Promise<void>;
  let s3Pid: number | undefined;
  if (child) {
    const c = fork(new URL(import.meta.url).pathname, ['serve-s3'], { execArgv: ['--import', 'tsx'] });
    endpoint = await new Promise<string>((r) => c.once('message', (m) => r(String(m))));
    s3Pid = c.pid;
    stop = () =>
      new Promise((r) => {
        c.once('exit', () => r());
        c.send('stop');
      });
  } else {
    const s3 = await startTestS3(BUCKET);
    endpoint = s3.endpoint;
    stop = s3.stop;
  }
  const client = createS3Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const body = ctInstance({ study: '1.2.3', series: '1.2.3.1', sop: '1.2.3.1.1', rows: 16, columns: 16 });
  const put = (i: number) =>
    client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `x/ab/1.2.3/${i}.dcm`, Body: body, ContentLength: body.length }),
    );
  await put(0); // warm-up: connection, signing
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const s3Cpu0 = s3Pid ? cpuOf(s3Pid) : 0;
  const t0 = performance.now();
  let next = 1;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next <= puts) {
        const i = next++;
        const t = performance.now();
        await put(i);
        lat.push(performance.now() - t);
      }
    }),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.ceil(p * lat.length) - 1]!.toFixed(0);
  console.log(
    JSON.stringify({
      puts,
      concurrency,
      bytes: body.length,
      s3rver: child ? 'own process' : 'this process',
      wallMs: Math.round(wall),
      p50Ms: Number(pct(0.5)),
      p99Ms: Number(pct(0.99)),
      clientCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      ...(s3Pid ? { s3rverCpuMs: cpuOf(s3Pid) - s3Cpu0 } : {}),
    }),
  );
  client.destroy();
  await stop();
}
