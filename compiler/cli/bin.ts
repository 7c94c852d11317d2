/** Process entry point of the bundled CLI (dist/ztc.js). */
import { setFlagsFromString } from "node:v8";
import { main } from "./main.js";

// A batch command runs for a second or two and then exits. V8's default tier-up budget sends
// hundreds of functions to its optimizing compiler, whose background threads then take most of
// the second core (~1.7 s of CPU in a 1,000-tenant compile) from the main thread. A larger budget
// optimizes only what stays hot: compile of 1,000 tenants 1.9 -> 1.7 s. The language server's
// start is such a job too (start to first diagnostics of the 1,000-tenant bench ~500 -> ~465 ms);
// it goes back to V8's default once the workspace is checked (lsp/server.ts), for the edits.
setFlagsFromString("--interrupt-budget=250000");

const code = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  stderrIsTTY: process.stderr.isTTY === true,
});
process.exitCode = code;
