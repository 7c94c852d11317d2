/** Process entry point of the bundled CLI (dist/ztc.js). */
import { setFlagsFromString } from "node:v8";
import { main } from "./main.js";
import { START_FLAGS } from "./start-flags.js";

setFlagsFromString(START_FLAGS);

const code = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  stderrIsTTY: process.stderr.isTTY === true,
});
process.exitCode = code;
