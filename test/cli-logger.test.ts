import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createCliLogger, MAX_HELD_LINES } from '../src/cli/cli-logger.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { stream, text: () => text };
}

/** A logger at INFO that holds its stderr lines, as while the dashboard is on. */
function holdingLogger() {
  const stderr = capture();
  const logger = createCliLogger({
    stderr: stderr.stream,
    stderrLevel: 'INFO',
    redact: (t) => t,
    holdStderr: true,
  });
  return { stderr, logger };
}

describe('the command line logger', () => {
  it('writes the lines of its level and above to stderr, redacted and made safe for a terminal', () => {
    const stderr = capture();
    const logger = createCliLogger({
      stderr: stderr.stream,
      stderrLevel: 'WARNING',
      redact: (t) => t.replaceAll('s3cret', '***'),
    });
    logger.info('not shown');
    logger.warn('token s3cret refused \u001b[2J');
    const lines = stderr.text().trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, / WARNING token \*\*\* refused/);
    assert.ok(!lines[0]!.includes('\u001b'));
  });

  it('holds its stderr lines while the dashboard owns the screen, and writes them at close', async () => {
    const { stderr, logger } = holdingLogger();
    logger.info('first');
    logger.error('second');
    assert.equal(stderr.text(), '', 'nothing drawn over the screen');
    await logger.close();
    assert.match(stderr.text(), / INFO first\n.* ERROR second\n$/);
  });

  it('keeps the newest lines it holds, and says how many older ones it dropped', async () => {
    const { stderr, logger } = holdingLogger();
    for (let i = 0; i < MAX_HELD_LINES + 5; i++) logger.info(`line ${i}`);
    await logger.close();
    const lines = stderr.text().trim().split('\n');
    assert.equal(lines[0], '(5 earlier log lines were dropped while the dashboard was on)');
    assert.equal(lines.length, MAX_HELD_LINES + 1);
    assert.match(lines[1]!, / line 5$/);
    assert.match(lines.at(-1)!, new RegExp(` line ${MAX_HELD_LINES + 4}$`));
  });
});
