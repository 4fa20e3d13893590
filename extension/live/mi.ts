/**
 * GDB/MI (mi3) output: a typed record model and a stream parser. Pure: no I/O, no vscode.
 *
 * Grammar (gdb manual, "GDB/MI Output Syntax"):
 *   output        = { out-of-band-record } [ result-record ] "(gdb)" nl
 *   result-record = [token] "^" result-class { "," result } nl
 *   async-record  = [token] ("*" | "+" | "=") async-class { "," result } nl
 *   stream-record = ("~" | "@" | "&") c-string nl
 *   result        = variable "=" value;  value = c-string | tuple | list
 *   tuple = "{}" | "{" result { "," result } "}"
 *   list  = "[]" | "[" value { "," value } "]" | "[" result { "," result } "]"
 *
 * A list of results (`stack=[frame={...},frame={...}]`) keeps its values in order and drops
 * the repeated names: every list gdb prints repeats one name, and callers ask for the values.
 */

export type MiValue = string | MiTuple | MiList;
export interface MiTuple {
  readonly [name: string]: MiValue;
}
export type MiList = readonly MiValue[];

export type ResultClass = 'done' | 'running' | 'connected' | 'error' | 'exit';

/** `^done,bkpt={...}`: the answer to the command sent with the same token. */
export interface MiResultRecord {
  readonly type: 'result';
  readonly token: number | undefined;
  readonly resultClass: ResultClass;
  readonly results: MiTuple;
}

/** `*stopped,...` (exec), `+download,...` (status), `=breakpoint-modified,...` (notify). */
export interface MiAsyncRecord {
  readonly type: 'exec' | 'status' | 'notify';
  readonly token: number | undefined;
  readonly asyncClass: string; // e.g. "stopped", "running", "thread-group-started"
  readonly results: MiTuple;
}

/** `~"text"` (console), `@"text"` (target), `&"text"` (gdb's log). */
export interface MiStreamRecord {
  readonly type: 'console' | 'target' | 'log';
  readonly text: string;
}

export interface MiPrompt {
  readonly type: 'prompt';
}

export type MiRecord = MiResultRecord | MiAsyncRecord | MiStreamRecord | MiPrompt;

export class MiSyntaxError extends Error {
  constructor(
    readonly line: string,
    readonly at: number,
    what: string,
  ) {
    super(`GDB/MI: ${what} at column ${at} of ${JSON.stringify(line.slice(0, 200))}`);
  }
}

const RESULT_CLASSES: ReadonlySet<string> = new Set([
  'done',
  'running',
  'connected',
  'error',
  'exit',
]);

// --- parse one line

/** Parses one line of gdb's MI output (without its newline). */
export function parseMiLine(line: string): MiRecord {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (/^\(gdb\)\s*$/.test(text)) return { type: 'prompt' };
  const p = new LineParser(text);
  const token = p.token();
  const mark = p.next();
  switch (mark) {
    case '~':
    case '@':
    case '&': {
      if (token !== undefined) p.fail('a stream record with a token');
      const value = p.cString();
      p.end();
      const type = mark === '~' ? 'console' : mark === '@' ? 'target' : 'log';
      return { type, text: value };
    }
    case '^': {
      const cls = p.word();
      if (!RESULT_CLASSES.has(cls)) p.fail(`unknown result class "${cls}"`);
      return { type: 'result', token, resultClass: cls as ResultClass, results: p.restResults() };
    }
    case '*':
    case '+':
    case '=': {
      const asyncClass = p.word();
      const type = mark === '*' ? 'exec' : mark === '+' ? 'status' : 'notify';
      return { type, token, asyncClass, results: p.restResults() };
    }
    default:
      return p.fail(`unexpected ${JSON.stringify(mark)}`);
  }
}

class LineParser {
  private pos = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new MiSyntaxError(this.s, this.pos, what);
  }

  next(): string {
    if (this.pos >= this.s.length) this.fail('unexpected end of line');
    return this.s[this.pos++]!;
  }

  private peek(): string | undefined {
    return this.s[this.pos];
  }

  private expect(c: string): void {
    if (this.s[this.pos] !== c) this.fail(`expected "${c}"`);
    this.pos++;
  }

  end(): void {
    if (this.pos !== this.s.length) this.fail('trailing characters');
  }

  token(): number | undefined {
    const start = this.pos;
    while (this.pos < this.s.length && this.s[this.pos]! >= '0' && this.s[this.pos]! <= '9')
      this.pos++;
    return this.pos > start ? Number(this.s.slice(start, this.pos)) : undefined;
  }

  /** A result class, async class or variable name: up to "," "=" or the end. */
  word(): string {
    const start = this.pos;
    while (this.pos < this.s.length && !',={}[]"'.includes(this.s[this.pos]!)) this.pos++;
    if (this.pos === start) this.fail('expected a name');
    return this.s.slice(start, this.pos);
  }

  /** `{ "," result }` to the end of the line, as a tuple. */
  restResults(): MiTuple {
    const out: Record<string, MiValue> = {};
    while (this.pos < this.s.length) {
      this.expect(',');
      const [name, value] = this.result();
      out[name] = value;
    }
    return out;
  }

  private result(): [string, MiValue] {
    const name = this.word();
    this.expect('=');
    return [name, this.value()];
  }

  private value(): MiValue {
    const c = this.peek();
    if (c === '"') return this.cString();
    if (c === '{') return this.tuple();
    if (c === '[') return this.list();
    return this.fail('expected a value');
  }

  private tuple(): MiTuple {
    this.expect('{');
    const out: Record<string, MiValue> = {};
    if (this.peek() === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      const [name, value] = this.result();
      // gdb repeats a name inside a tuple in a few records (e.g. thread-ids); keep the first.
      if (!(name in out)) out[name] = value;
      const c = this.next();
      if (c === '}') return out;
      if (c !== ',') this.fail('expected "," or "}" in a tuple');
    }
  }

  private list(): MiList {
    this.expect('[');
    const out: MiValue[] = [];
    if (this.peek() === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      const c = this.peek();
      // A list holds either values or results; a result starts with a name.
      if (c === '"' || c === '{' || c === '[') out.push(this.value());
      else out.push(this.result()[1]);
      const d = this.next();
      if (d === ']') return out;
      if (d !== ',') this.fail('expected "," or "]" in a list');
    }
  }

  /** A C string with gdb's escapes: \n \t \" \\ and octal \NNN (bytes, decoded as UTF-8). */
  cString(): string {
    this.expect('"');
    const bytes: number[] = [];
    const pushText = (t: string): void => {
      for (const b of Buffer.from(t, 'utf8')) bytes.push(b);
    };
    for (;;) {
      if (this.pos >= this.s.length) this.fail('unterminated string');
      const c = this.s[this.pos++]!;
      if (c === '"') break;
      if (c !== '\\') {
        pushText(c);
        continue;
      }
      const e = this.next();
      if (e >= '0' && e <= '7') {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(this.peek() ?? '')) digits += this.next();
        bytes.push(parseInt(digits, 8) & 0xff);
        continue;
      }
      const simple: Record<string, number> = {
        n: 10,
        t: 9,
        r: 13,
        a: 7,
        b: 8,
        f: 12,
        v: 11,
        e: 27,
        '"': 34,
        '\\': 92,
        "'": 39,
      };
      const b = simple[e];
      if (b === undefined) this.fail(`unknown escape \\${e}`);
      bytes.push(b);
    }
    return Buffer.from(bytes).toString('utf8');
  }
}

// --- the stream

/**
 * Splits gdb's stdout into lines and parses each as soon as it is complete. gdb writes whole
 * records, but a pipe delivers arbitrary chunks: `^running` and `*stopped` may share a chunk
 * and a record may be split across two, so nothing here depends on chunk boundaries.
 */
export class MiStreamParser {
  private pending = '';

  constructor(
    private readonly onRecord: (record: MiRecord) => void,
    private readonly onBadLine: (line: string, error: MiSyntaxError) => void = () => {},
  ) {}

  push(chunk: string): void {
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      if (line.trim() === '') continue;
      let record: MiRecord;
      try {
        record = parseMiLine(line);
      } catch (error) {
        if (error instanceof MiSyntaxError) {
          this.onBadLine(line, error);
          continue;
        }
        throw error;
      }
      this.onRecord(record);
    }
  }

  /** What is left of an unfinished line (for diagnostics when gdb dies). */
  get rest(): string {
    return this.pending;
  }
}

// --- typed access to values

export function str(v: MiValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function tuple(v: MiValue | undefined): MiTuple | undefined {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? (v as MiTuple) : undefined;
}

export function list(v: MiValue | undefined): MiList | undefined {
  return Array.isArray(v) ? (v as MiList) : undefined;
}

export function int(v: MiValue | undefined): number | undefined {
  const s = str(v);
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined;
  return Number(s);
}

/** Quotes a string as an MI command argument (`-break-insert -c "…" fn`). */
export function miQuote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
