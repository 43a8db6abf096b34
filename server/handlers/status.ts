/**
 * The host's `similarityLab/serverStatus`: health, whether any job runs, and a one-line message.
 * Sent after `initialized` and on every change; the client's status bar item mirrors it.
 */
import { ServerStatusNotification, type Health } from '../protocol';

export class StatusReporter {
  private readonly running = new Map<number, string>();
  private nextJob = 1;
  private started = false;
  private problem: { health: Exclude<Health, 'ok'>; message: string } | undefined;
  private lastSent = '';

  constructor(private readonly send: (status: ServerStatusNotification.Params) => void) {}

  /** Starts reporting (call from `initialized`: the client may ignore notifications before it). */
  start(): void {
    this.started = true;
    this.publish();
  }

  /**
   * Runs `work` as a job called `label` ("Comparing"): the host is not quiescent meanwhile.
   * `work` may rename its job as it goes ("Clustering x.fasta: verifying 40%"): the status then
   * carries the progress to the client's status bar item.
   */
  async track<T>(label: string, work: (setLabel: (label: string) => void) => Promise<T>): Promise<T> {
    const id = this.nextJob++;
    this.running.set(id, label);
    this.publish();
    let lastUpdate = 0;
    const setLabel = (next: string) => {
      if (!this.running.has(id)) return;
      this.running.set(id, next);
      // At most four status notifications a second from one job.
      const now = Date.now();
      if (now - lastUpdate < 250) return;
      lastUpdate = now;
      this.publish();
    };
    try {
      return await work(setLabel);
    } finally {
      this.running.delete(id);
      this.publish();
    }
  }

  /** Shows a problem (e.g. a failed job or a missing worker script) until `clearProblem`. */
  setProblem(health: Exclude<Health, 'ok'>, message: string): void {
    this.problem = { health, message };
    this.publish();
  }

  clearProblem(): void {
    if (!this.problem) return;
    this.problem = undefined;
    this.publish();
  }

  private publish(): void {
    if (!this.started) return;
    const quiescent = this.running.size === 0;
    const status: ServerStatusNotification.Params = {
      health: this.problem?.health ?? 'ok',
      quiescent,
      message: this.problem?.message ?? (quiescent ? 'ready' : this.busyMessage()),
    };
    const key = JSON.stringify(status);
    if (key === this.lastSent) return;
    this.lastSent = key;
    this.send(status);
  }

  private busyMessage(): string {
    const labels = [...this.running.values()];
    const first = `${labels[0] ?? 'Working'}…`;
    return labels.length > 1 ? `${first} (+${labels.length - 1} more)` : first;
  }
}
