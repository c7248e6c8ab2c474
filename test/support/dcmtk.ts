import { execFile, execFileSync } from 'node:child_process';

/** The DCMTK tools the tests and benchmark use. */
export type DcmtkTool = 'echoscu' | 'storescu' | 'findscu' | 'movescu' | 'getscu' | 'storescp' | 'dcmdump' | 'dump2dcm';

export interface DcmtkResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface DcmtkRunOptions {
  timeoutMs?: number;
  cwd?: string;
  /** Extra environment (TCP_NODELAY=1 is always set: DCMTK disables Nagle only then). */
  env?: NodeJS.ProcessEnv;
  /** Resolve with a non-zero code instead of rejecting. */
  allowFailure?: boolean;
}

const toolPath = (tool: DcmtkTool): string => `/usr/bin/${tool}`;

/** True when the DCMTK tools we need are installed (storescu/findscu/echoscu/dcmdump by default). */
export function dcmtkAvailable(tools: DcmtkTool[] = ['echoscu', 'storescu', 'findscu', 'dcmdump']): boolean {
  return tools.every((tool) => {
    try {
      execFileSync(toolPath(tool), ['--version'], { stdio: 'ignore', timeout: 5_000 });
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs a DCMTK tool with a timeout; rejects on timeout or (unless allowFailure) a non-zero exit. */
export function runDcmtk(tool: DcmtkTool, args: string[], opts: DcmtkRunOptions = {}): Promise<DcmtkResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      toolPath(tool),
      args,
      {
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        cwd: opts.cwd,
        env: { ...process.env, ...opts.env, TCP_NODELAY: '1' },
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const ms = performance.now() - started;
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && (error.killed || !opts.allowFailure)) {
          const why = error.killed ? `timed out after ${opts.timeoutMs ?? 60_000} ms` : `exited with ${code}`;
          reject(new Error(`${tool} ${args.join(' ')} ${why}\n${stderr}\n${stdout}`));
          return;
        }
        resolve({ code, stdout, stderr, ms });
      },
    );
  });
}

/** C-ECHO against host:port/aet. */
export function echo(host: string, port: number, calledAet: string, opts: DcmtkRunOptions = {}): Promise<DcmtkResult> {
  return runDcmtk('echoscu', ['-aec', calledAet, host, String(port)], opts);
}

/** C-STORE files (or folders with --scan-directories) over one association. */
export function storeFiles(
  host: string,
  port: number,
  calledAet: string,
  paths: string[],
  opts: DcmtkRunOptions & { callingAet?: string } = {},
): Promise<DcmtkResult> {
  const args = ['-aec', calledAet, '-aet', opts.callingAet ?? 'STORESCU', '+sd', '+r', host, String(port), ...paths];
  return runDcmtk('storescu', args, opts);
}

/** Dumps a DICOM file as text (dcmdump). */
export function dump(path: string, opts: DcmtkRunOptions = {}): Promise<string> {
  return runDcmtk('dcmdump', [path], opts).then((r) => r.stdout);
}
