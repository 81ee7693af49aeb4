/**
 * Progress of a long run on stderr: a redrawn bar with an ETA when stderr is a terminal,
 * otherwise a plain line now and then (every 10% or every 15 s), so logs stay readable.
 */

export interface ProgressSink {
  /** Raw text to a terminal (no newline added); present only when drawing a bar. */
  readonly tty?: { write(text: string): void; readonly columns?: number };
  /** A whole line (newline added). */
  line(text: string): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export class Progress {
  private readonly total: number;
  private readonly label: string;
  private readonly sink: ProgressSink;
  private readonly now: () => number;
  private readonly started: number;
  private done = 0;
  private lastDraw = -Infinity;
  private lastLine: number;
  private lastDecile = 0;

  constructor(total: number, label: string, sink: ProgressSink, now: () => number = () => performance.now() / 1000) {
    this.total = Math.max(1, total);
    this.label = label;
    this.sink = sink;
    this.now = now;
    this.started = now();
    this.lastLine = this.started;
  }

  /** Seconds left at the rate so far (undefined before the first unit). */
  eta(): number | undefined {
    if (this.done === 0) return undefined;
    return ((this.now() - this.started) / this.done) * (this.total - this.done);
  }

  tick(units = 1, note = ""): void {
    this.done = Math.min(this.total, this.done + units);
    const t = this.now();
    if (this.sink.tty) {
      if (t - this.lastDraw >= 0.1 || this.done === this.total) {
        this.lastDraw = t;
        this.sink.tty.write(`\r${this.bar(note).slice(0, (this.sink.tty.columns ?? 80) - 1)}\x1b[K`);
      }
      return;
    }
    const decile = Math.floor((10 * this.done) / this.total);
    if (decile > this.lastDecile || t - this.lastLine >= 15) {
      this.lastDecile = decile;
      this.lastLine = t;
      this.sink.line(this.status(note));
    }
  }

  /** Ends the bar's line. */
  finish(): void {
    if (this.sink.tty) this.sink.tty.write(`\r${this.bar("")}\x1b[K\n`);
    else if (this.lastDecile < 10) this.sink.line(this.status(""));
  }

  private status(note: string): string {
    const pct = Math.floor((100 * this.done) / this.total);
    const eta = this.eta();
    const elapsed = formatDuration(this.now() - this.started);
    const etaText = eta !== undefined && this.done < this.total ? `, ETA ${formatDuration(eta)}` : "";
    return `${this.label} ${pct}% (${this.done}/${this.total}), ${elapsed} elapsed${etaText}${note ? `, ${note}` : ""}`;
  }

  /** The most useful part first, since a narrow terminal cuts the line. */
  private bar(note: string): string {
    const width = Math.max(10, Math.min(40, (this.sink.tty?.columns ?? 80) - 60));
    const filled = Math.round((width * this.done) / this.total);
    const eta = this.eta();
    const left = eta !== undefined && this.done < this.total ? ` ETA ${formatDuration(eta)}` : "";
    const elapsed = formatDuration(this.now() - this.started);
    const bar = `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${Math.floor((100 * this.done) / this.total)}%`;
    return `${bar}${left} (${this.done}/${this.total}, ${elapsed}) ${this.label}${note ? `, ${note}` : ""}`;
  }
}
