import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { TtyTerminal } from '../src/dashboard/terminal.js';
import { REPO } from './helpers/processes.js';
import { Tmux } from './helpers/tmux.js';

const CHILD = 'node --import tsx test/helpers/terminal-child.ts';

/** Pids of the processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command's closing parenthesis: state, then the parent's pid.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) children.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return children;
}

/** A stream standing in for a terminal of `columns` × `rows`: what is written is kept. */
function fakeTty(columns: number, rows: number) {
  const stream = new PassThrough() as PassThrough & { columns: number; rows: number; isTTY: boolean };
  stream.columns = columns;
  stream.rows = rows;
  stream.isTTY = true;
  const written: string[] = [];
  stream.on('data', (chunk: Buffer) => written.push(chunk.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, written };
}

describe('TtyTerminal (written bytes)', () => {
  it('enters the alternate screen, writes only the lines that changed, and leaves it on close', async () => {
    const { stream, written } = fakeTty(40, 5);
    const terminal = new TtyTerminal({ stdout: stream, processHooks: false });
    terminal.open({ key: () => {}, resize: () => {} });
    terminal.draw('one\ntwo\nthree');
    terminal.draw('one\nTWO\nthree');
    terminal.draw('one\nTWO\nthree');
    terminal.close();
    terminal.close();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(written.length, 4, 'enter, two frames (the third is unchanged), leave');
    assert.ok(written[0]!.includes('\u001b[?1049h') && written[0]!.includes('\u001b[?25l'));
    assert.ok(written[1]!.startsWith('\u001b[?2026h') && written[1]!.endsWith('\u001b[?2026l'));
    assert.ok(written[1]!.includes('\u001b[3;1H\u001b[2Kthree'));
    // The second frame: line 2 only.
    assert.equal(written[2], '\u001b[?2026h\u001b[2;1H\u001b[2KTWO\u001b[0m\u001b[?2026l');
    assert.ok(written[3]!.includes('\u001b[?25h') && written[3]!.endsWith('\u001b[?1049l'));
  });

  it('repaints every line after a resize', async () => {
    const { stream, written } = fakeTty(40, 3);
    let resized = 0;
    const terminal = new TtyTerminal({ stdout: stream, processHooks: false });
    terminal.open({ key: () => {}, resize: () => resized++ });
    terminal.draw('a\nb');
    stream.emit('resize');
    terminal.draw('a\nb');
    terminal.close();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(resized, 1);
    assert.ok(written[2]!.includes('\u001b[2J') && written[2]!.includes('\u001b[1;1H\u001b[2Ka'));
  });
});

describe('TtyTerminal in a real terminal (tmux)', () => {
  let tmux: Tmux;
  before(async () => {
    tmux = await Tmux.start({ columns: 80, rows: 20, cwd: REPO });
  });
  after(async () => {
    await tmux?.kill();
  });

  /** Clears the shell's screen, prints a marker, starts the child and waits for its frame. */
  async function startChild(marker: string): Promise<void> {
    await tmux.type(`clear; echo ${marker}; ${CHILD}; echo "EXIT=$?"`);
    await tmux.waitFor((screen) => screen.includes('CHILD frame'), 30_000, 'the child to draw');
    assert.equal(await tmux.display('#{alternate_on}'), '1', 'on the alternate screen');
    assert.equal(await tmux.display('#{cursor_flag}'), '0', 'cursor hidden');
  }

  /** The terminal is as before: main screen, the marker back, cursor shown, cooked mode. */
  async function assertRestored(marker: string, exit: string): Promise<string> {
    const screen = await tmux.waitFor((s) => s.includes(`EXIT=${exit}`), 10_000, `EXIT=${exit}`);
    assert.ok(screen.includes(marker), `the shell's screen is back:\n${screen}`);
    assert.ok(!screen.includes('CHILD frame'), 'nothing of the full-screen program is left');
    assert.equal(await tmux.display('#{alternate_on}'), '0');
    assert.equal(await tmux.display('#{cursor_flag}'), '1');
    await tmux.type(
      'stty -a | tr " " "\\n" | grep -x -e icanon -e echo -e -icanon -e -echo | sort | tr "\\n" " "; echo',
    );
    await tmux.waitFor((s) => /echo icanon/.test(s), 5000, 'stty to show cooked mode');
    return screen;
  }

  it('takes the terminal, reads raw keys, follows a resize and gives everything back on q', async () => {
    await startChild('MARK-Q');
    await tmux.keys('Down', 'x', 'Escape');
    await tmux.waitFor((s) => s.includes('keys: down x escape'), 5000, 'the keys');
    await tmux.resize(60, 12);
    await tmux.waitFor((s) => s.includes('size 60x12'), 5000, 'the new size');
    await tmux.keys('q');
    await assertRestored('MARK-Q', '0');
    await tmux.resize(80, 20);
  });

  it('gives the terminal back on SIGTERM, and the signal still ends the process', async () => {
    await startChild('MARK-TERM');
    const shell = Number(await tmux.display('#{pane_pid}'));
    const [child] = childrenOf(shell);
    assert.ok(child !== undefined, 'the child runs under the shell');
    process.kill(child, 'SIGTERM');
    await assertRestored('MARK-TERM', '143');
  });

  it('gives the terminal back on a crash, and the error is printed on the normal screen', async () => {
    await startChild('MARK-CRASH');
    await tmux.keys('!');
    const screen = await assertRestored('MARK-CRASH', '1');
    assert.ok(screen.includes('the child crashed on purpose'), screen);
  });

  it('gives the terminal back when the process exits without closing it', async () => {
    await startChild('MARK-EXIT');
    await tmux.keys('e');
    await assertRestored('MARK-EXIT', '3');
  });
});
