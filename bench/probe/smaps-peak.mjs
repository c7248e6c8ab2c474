// Runs a command (the bench) and samples /proc/<pid>/smaps of every `main.js serve` process
// started under it once a second; prints, per pid, the sample with the highest RSS and the
// process's CPU (utime+stime) at its last sample, RSS grouped by mapping kind:
// file-backed, [heap] (glibc main arena), [stack], anon < 1 MB (V8 pages), anon 1–64 MB
// (thread stacks, glibc thread arenas are 64 MB reservations), anon ≥ 64 MB.
//   node bench/probe/smaps-peak.mjs OUT.json -- npm run bench -- --only P3 …
import { spawn } from 'node:child_process';
import fs from 'node:fs';

const outFile = process.argv[2];
const command = process.argv.slice(process.argv.indexOf('--') + 1);
const match = 'main.js serve';
const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
const root = String(child.pid);

function underRoot(pid) {
  for (let p = pid, i = 0; p && p !== '1' && i < 20; i++) {
    if (p === root) return true;
    p = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1];
  }
  return false;
}

function servers() {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(match) && underRoot(d);
      } catch {
        return false;
      }
    });
}

function sample(pid) {
  const text = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const groups = new Map();
  let key = '';
  let size = 0;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      size = (Number.parseInt(head[2], 16) - Number.parseInt(head[1], 16)) / 1024;
      const name = head[3];
      if (name === '[heap]') key = '[heap]';
      else if (name.startsWith('[stack')) key = '[stack]';
      else if (name.startsWith('/')) key = name.includes('node') && !name.includes('.node') ? 'file: node' : name.endsWith('-wal') || name.endsWith('.sqlite') || name.endsWith('-shm') ? 'file: sqlite' : 'file: other';
      else if (name.startsWith('[')) key = name;
      else key = size < 1024 ? 'anon <1MB' : size < 65536 ? 'anon 1-64MB' : 'anon >=64MB';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) {
      const g = groups.get(key) ?? { rssKb: 0, maps: 0 };
      g.rssKb += Number(rss[1]);
      g.maps += 1;
      groups.set(key, g);
    }
  }
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  const threads = Number(/Threads:\s+(\d+)/.exec(status)[1]);
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpuTicks = Number(stat[11]) + Number(stat[12]);
  let comms = [];
  try {
    comms = fs.readdirSync(`/proc/${pid}/task`).map((t) => fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim());
  } catch {}
  return { t: Date.now(), rssMb: rssKb / 1024, threads, comms, cpuTicks, groups: Object.fromEntries([...groups].map(([k, v]) => [k, Math.round(v.rssKb / 102.4) / 10])) };
}

const peaks = new Map();
const timer = setInterval(() => {
  for (const pid of servers()) {
    try {
      const s = sample(pid);
      const p = peaks.get(pid) ?? { first: s.t };
      if (!p.peak || s.rssMb > p.peak.rssMb) p.peak = s;
      p.lastCpuS = s.cpuTicks / 100;
      p.last = s.t;
      peaks.set(pid, p);
    } catch {}
  }
}, 1000);
child.on('exit', (code) => {
  clearInterval(timer);
  fs.writeFileSync(outFile, JSON.stringify(Object.fromEntries(peaks), null, 1));
  for (const [pid, p] of peaks)
    console.log(`server ${pid}: peak ${p.peak.rssMb.toFixed(0)} MB ${JSON.stringify(p.peak.groups)} threads ${p.peak.threads}; CPU ${p.lastCpuS.toFixed(1)} s over ${((p.last - p.first) / 1000).toFixed(0)} s`);
  process.exit(code ?? 1);
});
