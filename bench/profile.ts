/**
 * Profiles one throughput case with `node --cpu-prof` and prints the functions with the most
 * self time, to find hot spots. The profile itself is kept for Chrome DevTools or speedscope.
 *
 * Usage: node --import tsx bench/profile.ts <case> [messages]
 *   <case>: lib:<format> | cli:<format> | bare:<receive|parse|line|save> | cli-save
 *           | fanin:lib | fanin:bare   (1,000 clients, 1 msg/s each; [messages] is then the window in s)
 * e.g.    node --import tsx bench/profile.ts lib:jsonl 200000
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildSpec } from './child.js';
import { compiledEntry } from './compiled.js';
import { BenchServer, CLI, childEnv, exited, newTag, openDevNull, ROOT } from './harness.js';

const CHILD_ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time per function, in % of the samples, highest first. */
export function topFunctions(profileFile: string, count = 25): { share: number; name: string }[] {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as { nodes: ProfileNode[] };
  const totals = new Map<string, number>();
  let all = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    all += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? `${url.replace(/^file:\/\/.*?\/(node_modules|dist|bench)\//, '$1/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    totals.set(key, (totals.get(key) ?? 0) + hits);
  }
  return [...totals]
    .map(([name, hits]) => ({ name, share: (hits / all) * 100 }))
    .sort((a, b) => b.share - a.share)
    .slice(0, count);
}

async function main(): Promise<void> {
  const [which = 'lib:simple', messagesArg = '200000'] = process.argv.slice(2);
  const messages = Number(messagesArg);
  const [impl, what = 'simple'] = which.split(':');
  const server = await BenchServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'mwc-profile-'));
  const devNull = openDevNull();
  try {
    const tag = newTag();
    const uri = server.url('/flood', { n: messages, tag });
    const profiling = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
    let args: string[];
    if (impl === 'cli' || impl === 'cli-save') {
      args = [...profiling, CLI, '-u', uri, '-f', what, '--no-reconnect'];
      if (impl === 'cli-save') args.push('--save-data', join(dir, 'saved.jsonl'));
    } else if (impl === 'fanin') {
      const spec: ChildSpec = {
        case: 'fanin',
        impl: what as 'lib' | 'fleet',
        uri: server.url('/fanin', { interval: 1000 }),
        count: Number(process.env.BENCH_FANIN_COUNT ?? 1000),
        warmupMs: 2000,
        windowMs: messages * 1000,
      };
      args = [...profiling, compiledEntry(CHILD_ENTRY), JSON.stringify(spec)];
    } else {
      const spec: ChildSpec =
        impl === 'bare'
          ? {
              case: 'throughput',
              impl: 'bare',
              kind: what as 'line',
              uri,
              saveData: join(dir, 'saved.jsonl'),
            }
          : { case: 'throughput', impl: 'lib', format: what as 'simple', uri };
      args = [...profiling, compiledEntry(CHILD_ENTRY), JSON.stringify(spec)];
    }
    const env = childEnv();
    if (impl === 'fanin') {
      // The window alone is profiled (see measureWindow), not the connections' setup.
      env.BENCH_PROFILE_WINDOW = join(dir, 'window.cpuprofile');
      args = args.filter((arg) => !profiling.includes(arg));
    }
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env,
      stdio: ['ignore', devNull, 'pipe', 'ipc'],
    });
    child.on('message', (report: { result?: unknown }) => {
      if (impl === 'fanin') process.stdout.write(`${which}: ${JSON.stringify(report.result)} (profiled)\n`);
    });
    const exit = await exited(child);
    if (impl !== 'fanin') {
      const { open } = await server.connection(tag);
      const seconds = (exit.at - open.t) / 1000;
      process.stdout.write(
        `${which}: ${messages} messages in ${seconds.toFixed(2)} s (${Math.round(messages / seconds)} msg/s, profiled)\n`,
      );
    }
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`no profile written:\n${exit.stderr}`);
    for (const { share, name } of topFunctions(join(dir, file))) {
      process.stdout.write(`${share.toFixed(1).padStart(5)} %  ${name}\n`);
    }
    const kept = join(tmpdir(), `mwc-${which.replace(':', '-')}.cpuprofile`);
    copyFileSync(join(dir, file), kept);
    process.stdout.write(`profile: ${kept}\n`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `profile: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
