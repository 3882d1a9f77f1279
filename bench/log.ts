// The benchmarks' progress lines: on stderr, so that stdout carries only the report.
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
