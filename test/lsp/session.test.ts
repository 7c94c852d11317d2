/**
 * The server's session over a real folder: what it does while the user is idle (preparation,
 * practice rebuilds) must leave the snapshot exactly as it was, and later edits must check as a
 * fresh session does.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyExample, ROOT } from "../helpers/example.js";
import { Session } from "../../lsp/session.js";

const TODAY = "2026-11-21";
const POLICY = "tenants/payments/policy.zt";
let work: string;

beforeAll(() => {
  work = copyExample("ztc-session-");
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const said = (s: Session) => {
  const p = [...s.projects.values()][0]!;
  const files = p.files(p.program);
  return p.program!.getDiagnostics().map((d) => {
    const lines = files.lines(d.file)!;
    const at = (o: number) => `${lines.positionAt(o).line}:${lines.positionAt(o).character}`;
    return `${d.file}:${at(d.span.start)}-${at(d.span.end)} ${d.code} ${d.message}`;
  });
};

describe("session", () => {
  it("prepares and practises while idle without changing the snapshot", () => {
    const uri = pathToFileURL(join(work, POLICY)).href;
    const text = readFileSync(join(work, POLICY), "utf8");
    const session = new Session({ today: TODAY });
    const project = session.setDocument(uri, text)!;
    project.focusedBuild(TODAY);
    project.refresh(TODAY);
    const program = project.program;
    const before = said(session);
    const pieces = project.preparation();
    expect(pieces.length).toBeGreaterThan(2);
    for (const piece of pieces) piece();
    expect(project.program).toBe(program);
    expect(project.dirty).toBe(false);
    expect(said(session)).toEqual(before);

    // The next edits check as a session that never practised.
    const edits = [text.replace("api.stripe.com:443", "api.stripe.con:443"), text.replace("allow", "allow "), text];
    for (const edited of edits) {
      session.setDocument(uri, edited);
      project.refresh(TODAY);
      const fresh = new Session({ today: TODAY });
      const other = fresh.setDocument(uri, edited)!;
      other.refresh(TODAY);
      expect(said(session)).toEqual(said(fresh));
    }
  });
});
