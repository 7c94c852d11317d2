/**
 * A minimal JSON-RPC client for the language server over stdio, for protocol tests and the
 * benchmark. Written out (rather than taken from vscode-jsonrpc) so tests can also send malformed
 * bytes and see exactly what comes back.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

export interface Message {
  jsonrpc: "2.0";
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export interface LspClientOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export class LspClient {
  readonly proc: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number | string, { resolve: (m: Message) => void; sent: number }>();
  private readonly listeners: ((m: Message) => void)[] = [];
  /** Every notification and server request received, in order. */
  readonly received: Message[] = [];
  stderr = "";
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitWaiters: (() => void)[] = [];

  constructor(o: LspClientOptions) {
    this.proc = spawn(o.command, [...o.args], { cwd: o.cwd, env: o.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    this.proc.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    this.proc.stdin.on("error", () => undefined);
    this.proc.on("exit", (code, signal) => {
      this.exited = { code, signal };
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString("ascii");
      const m = /Content-Length: (\d+)/i.exec(header);
      if (!m) throw new Error(`bad header from server: ${header}`);
      const length = Number(m[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.dispatch(JSON.parse(body) as Message);
    }
  }

  private dispatch(m: Message): void {
    if (m.id !== undefined && m.id !== null && m.method === undefined) {
      const p = this.pending.get(m.id);
      if (p) {
        this.pending.delete(m.id);
        p.resolve(m);
      }
      return;
    }
    // Server-to-client requests (registerCapability, showDocument, ...): accept them.
    if (m.id !== undefined && m.method !== undefined) this.write({ jsonrpc: "2.0", id: m.id, result: null });
    this.received.push(m);
    for (const l of [...this.listeners]) l(m);
  }

  write(m: Message): void {
    this.writeRaw(JSON.stringify(m));
  }

  /** Sends a body with a correct header (the body itself may be anything). */
  writeRaw(body: string): void {
    const bytes = Buffer.from(body, "utf8");
    this.proc.stdin.write(`Content-Length: ${bytes.length}\r\n\r\n`);
    this.proc.stdin.write(bytes);
  }

  /** Sends bytes as they are (broken headers and all). */
  writeBytes(bytes: string | Buffer): void {
    this.proc.stdin.write(bytes);
  }

  /** Sends a request; resolves with the whole response message. */
  request(method: string, params?: unknown, timeoutMs = 30_000): Promise<Message> {
    return this.send(method, params, timeoutMs).response;
  }

  /** Sends a request and tells its id (to cancel it). */
  send(method: string, params?: unknown, timeoutMs = 30_000): { id: number; response: Promise<Message> } {
    const id = this.nextId++;
    const response = new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms${this.exited ? ` (server exited ${JSON.stringify(this.exited)})` : ""}\n${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        sent: Date.now(),
      });
      this.write({ jsonrpc: "2.0", id, method, params });
    });
    return { id, response };
  }

  /** Sends a request and returns its result, failing on an error answer. */
  async call<T = unknown>(method: string, params?: unknown, timeoutMs?: number): Promise<T> {
    const m = await this.request(method, params, timeoutMs);
    if (m.error) throw new Error(`${method}: ${m.error.code} ${m.error.message}`);
    return m.result as T;
  }

  notify(method: string, params?: unknown): void {
    this.write({ jsonrpc: "2.0", method, params });
  }

  /** Waits for a notification matching `pred` (received after this call, or already, if `past`). */
  waitFor(pred: (m: Message) => boolean, timeoutMs = 30_000, past = false): Promise<Message> {
    if (past) {
      const hit = this.received.find(pred);
      if (hit) return Promise.resolve(hit);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        reject(new Error(`no matching notification within ${timeoutMs} ms\n${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      const listener = (m: Message) => {
        if (!pred(m)) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        resolve(m);
      };
      this.listeners.push(listener);
    });
  }

  /**
   * The next publishDiagnostics for a URI; with `version`, the next one for that version of an open
   * document (an earlier publication for the previous version may still be on its way).
   */
  diagnostics(
    uri: string,
    timeoutMs?: number,
    version?: number,
  ): Promise<{ uri: string; diagnostics: { code?: string; message: string; range: unknown; severity?: number; codeDescription?: { href: string } }[] }> {
    return this.waitFor((m) => {
      const p = m.params as { uri: string; version?: number };
      return m.method === "textDocument/publishDiagnostics" && p.uri === uri && (version === undefined || p.version === version);
    }, timeoutMs).then((m) => m.params as never);
  }

  /** The last publishDiagnostics received for a URI, if any. */
  lastDiagnostics(uri: string): { diagnostics: { code?: string; message: string }[] } | undefined {
    for (let i = this.received.length - 1; i >= 0; i--) {
      const m = this.received[i]!;
      if (m.method === "textDocument/publishDiagnostics" && (m.params as { uri: string }).uri === uri) return m.params as never;
    }
    return undefined;
  }

  async initialize(rootUri: string | null, initializationOptions: unknown = {}, capabilities: unknown = {}): Promise<unknown> {
    const r = await this.call("initialize", {
      processId: process.pid,
      rootUri,
      workspaceFolders: rootUri ? [{ uri: rootUri, name: "ws" }] : null,
      capabilities,
      initializationOptions,
    });
    this.notify("initialized", {});
    return r;
  }

  waitExit(timeoutMs = 10_000): Promise<boolean> {
    if (this.exited) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** shutdown + exit; kills the process if it does not end by itself. */
  async stop(): Promise<void> {
    if (!this.exited) {
      try {
        await this.request("shutdown", undefined, 5000);
        this.notify("exit");
      } catch {
        /* already gone */
      }
      if (!(await this.waitExit(5000))) this.proc.kill("SIGKILL");
    }
  }
}
