/**
 * A tiny full-screen program for the terminal's end-to-end tests, run in tmux: it takes the
 * terminal with TtyTerminal and draws a frame naming its size and the keys pressed.
 * `q` closes and exits 0; `!` throws from a timer (a crash); `e` exits with process.exit(3)
 * without closing (the exit hook must restore). SIGTERM is left to the terminal's own hook.
 */
import { TtyTerminal } from '../../src/dashboard/terminal.js';

const terminal = new TtyTerminal({ stdout: process.stdout, stdin: process.stdin });
const keys: string[] = [];
let frames = 0;

function draw(): void {
  const { columns, rows } = terminal.size();
  terminal.draw(`CHILD frame ${++frames} size ${columns}x${rows}\nkeys: ${keys.join(' ')}`);
}

terminal.open({
  key(key) {
    keys.push(key.name ?? (key.ctrl ? `C-${key.text}` : key.text));
    if (key.text === 'q') {
      terminal.close();
      process.exit(0);
    }
    if (key.text === '!') {
      setTimeout(() => {
        throw new Error('the child crashed on purpose');
      });
    }
    if (key.text === 'e') process.exit(3);
    draw();
  },
  resize: draw,
});
draw();
