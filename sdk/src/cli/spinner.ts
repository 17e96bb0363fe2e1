/**
 * A one-line status for long waits: animated in place on a terminal, one line per change otherwise (logs, CI), so
 * a wait of minutes never looks like a hang and never floods a log.
 */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ISpinner {
  update(text: string): void;
  stop(): void;
}

export function createSpinner(
  stream: NodeJS.WriteStream | NodeJS.WritableStream = process.stderr
): ISpinner {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  let text = '';
  let frame = 0;
  let started = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    const seconds = Math.round((Date.now() - started) / 1000);
    stream.write(
      `\r\x1b[K${FRAMES[frame++ % FRAMES.length]} ${text} (${seconds} s)`
    );
  };
  return {
    update(next: string) {
      if (next === text) {
        return;
      }
      text = next;
      if (!tty) {
        stream.write(`${next}\n`);
        return;
      }
      started ||= Date.now();
      timer ??= setInterval(draw, 100).unref();
      draw();
    },
    stop() {
      if (timer) {
        clearInterval(timer);
        timer = undefined;
        stream.write('\r\x1b[K');
      }
    }
  };
}
