import { main } from "../../src/cli.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a fastgen command in-process, capturing what it writes. */
export async function runCli(...argv: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { out: (t) => void (stdout += t), warn: (t) => void (stderr += t + "\n") });
  return { code, stdout, stderr };
}
