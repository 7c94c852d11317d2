/** The bundled ztc command line (out/ztc.cjs), for "ztc: Compile workspace" and tasks. */
import { main } from "../../compiler/cli/main.js";

void main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  stderrIsTTY: process.stderr.isTTY === true,
}).then((code) => {
  process.exitCode = code;
});
